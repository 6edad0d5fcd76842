# Connexion par lien envoyé par e-mail, et Mes billets, français.

buyers-sign-in-title = Se connecter
buyers-sign-in-intro = Saisissez votre adresse e-mail : nous vous envoyons un lien qui vous connecte. Aucun mot de passe n'est nécessaire.
buyers-send-link = M'envoyer un lien de connexion
buyers-link-sent = Si cette adresse peut recevoir des e-mails, un lien de connexion est en route. Il fonctionne une seule fois, pendant { $minutes } minutes.
buyers-too-many = Trop de liens de connexion ont été demandés à l'instant. Patientez un peu, puis réessayez.
buyers-email-invalid = Cela ne ressemble pas à une adresse e-mail. Vérifiez-la et réessayez.
buyers-return-refused = Ce lien vient de l'extérieur de cette boutique : nous ne le suivons pas. Recommencez depuis la boutique.
buyers-link-confirm = Appuyez sur le bouton pour vous connecter à cette boutique sur cet appareil.
buyers-sign-in = Se connecter
buyers-link-spent = Ce lien de connexion ne fonctionne plus : il a déjà servi ou date de plus de 15 minutes.
buyers-ask-new-link = Demander un nouveau lien
buyers-back-to-shop = Retour à la boutique
buyers-my-tickets = Mes billets
buyers-signed-in-as = Connecté·e en tant que { $email }
buyers-sign-out = Se déconnecter
buyers-your-orders = Vos commandes
buyers-no-orders = Vous n'avez pas encore de commande ici.
buyers-ordered-at = Commandé le { $time }
buyers-see-order = Voir la commande et les billets
buyers-ticket = Billet
buyers-member-benefits = Vos prix membres
buyers-no-benefits = Aucun prix membre ne s'applique aux prochains événements pour le moment.
buyers-member-price = Prix membre — { $label }
buyers-sign-in-for-prices = Se connecter pour les prix membres
