# Les tâches et modèles de messages du programme de parrainage (Paramètres → Modèles).
referrals-backdate-title = Envoyer aux anciens détenteurs de billets leurs liens de parrainage : { $promotion }
referrals-backdate-started = Recherche des anciens détenteurs de billets…
referrals-backdate-progress = Inscription des anciens détenteurs de billets ; { $mailed } messages avec liens en file jusqu'ici
referrals-backdate-done = Terminé : { $mailed } messages avec liens en file (les détenteurs sans autorisation d'e-mail n'en reçoivent pas)
template-referral-link = Parrainage : les liens du participant
template-referral-staff-tier = Parrainage : récompenses atteintes (à l'équipe)
template-referral-staff-closed = Parrainage : promotion terminée (à l'équipe)
var-promotion-name = le nom de la promotion
var-promotion-closes-at = la fin de la promotion, à l'heure du lieu
var-promotion-url = la page de la promotion, avec le registre des récompenses
var-tiers = les récompenses : chacune a des billets et une récompense
var-tracking-link = le lien du participant à partager
var-progress-link = la page de progression privée du participant (sans connexion)
var-rewards = les récompenses atteintes : participant, e-mail, palier, récompense et billets vendus
var-totals = participants, billets et chiffre d'affaires au total
var-leaderboard = les meilleurs participants avec leurs billets, chiffre d'affaires et clics
var-winners = les récompenses encore à remettre
