nav-intents = Intentions d'achat
intent-strategy-pay-by-link = Paiement par lien
intent-strategy-invoice = Réserver et facturer
intent-strategy-complimentary = Invitation
