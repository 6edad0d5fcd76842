# L’apparence de la boutique : programme, prix remisés, plan de salle et panier. Français.

shop-price-from = à partir de { $price }
shop-sold-out = Complet
shop-discount-percent = { $percent } % de remise
shop-discount-amount = { $amount } de remise
shop-discount-fixed = prix spécial
shop-seat-sold = vendue
shop-seat-held = réservée
shop-seat-unavailable = pas en vente
shop-stage = Scène
shop-row = Rang
shop-legend = Couleurs des places et prix
shop-seat-map-help = Chaque bloc est un seul arrêt de la touche Tab ; les flèches passent d’une place à l’autre et la barre d’espace en choisit une.
shop-basket = Votre panier
shop-basket-tickets = Billets
shop-list-prices = Billets au prix catalogue
shop-discount = Remise
