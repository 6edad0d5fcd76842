# Billets : les billets de la page de commande, le PDF, les noms des modèles de courriel.

tickets-heading = Vos billets
tickets-download = Télécharger les billets (PDF)
tickets-row = Rang
tickets-seat = Place
tickets-general-admission = Placement libre
tickets-place = Place ou zone
tickets-type = Type de billet
tickets-price = Prix
tickets-full-price = plein tarif
tickets-reference = Référence de commande
tickets-ticket = Billet
tickets-at-the-door = Présentez ce code QR à l'entrée, sur papier ou sur votre téléphone. Chaque billet fait entrer une personne une fois.
tickets-not-paid = Les billets pourront être téléchargés une fois la commande payée.
template-order-confirmation = Confirmation de commande avec billets
template-order-cancelled = Commande annulée ou remboursée
