# L'interface web de l'organisateur, en français.

## Mise en page et navigation
skip-to-content = Aller au contenu
language = Langue
log-in = Se connecter
log-out = Se déconnecter
nav-main = Navigation principale
nav-coming = bientôt
nav-promote = Promouvoir
nav-audiences = Audiences
nav-campaigns = Campagnes
nav-referrals = Récompenses de parrainage
nav-customers-section = Clients
nav-customers = Clients
nav-segmentation = Segmentation
nav-sales = Ventes
nav-events = Événements
nav-intents = Intentions d'achat
nav-operations = Opérations
nav-jobs = Tâches
nav-outbox = Boîte d'envoi
nav-settings = Paramètres
nav-organization = Organisation
nav-users = Utilisateurs
nav-api-tokens = Jetons d'API
nav-email = E-mail
nav-templates = Modèles
breadcrumb = Fil d'Ariane
pager = Pages
next-page = Page suivante
previous-page = Page précédente
search = Rechercher
save = Enregistrer
saved = Enregistré.
user-api-token = Jeton d'API
go-to-start = Aller à la page d'accueil
language-name-en = Anglais
language-name-da = Danois
language-name-fr = Français

## Connexion
login-title = Connexion
login-heading = Se connecter à Fullhouse
login-several-orgs = Plusieurs organisations ?
login-failed = L'e-mail ou le mot de passe est incorrect.
login-rate-limited = Trop d'échecs de connexion pour ce compte. Réessayez dans { $minutes } min.
login-expired = Votre formulaire de connexion a expiré. Veuillez réessayer.
login-choose-organization = Cet e-mail a des comptes dans plusieurs organisations : indiquez l'identifiant (slug) de l'organisation.
field-email = E-mail
field-password = Mot de passe
field-organization-slug = Organisation (slug)

## Accueil
home-title = Accueil
welcome = Bienvenue, { $name }
home-lead = Voici ce qui arrive et ce qui a tourné récemment.
home-upcoming = Événements à venir
home-all-events = Tous les événements
home-recent-jobs = Tâches récentes
home-all-jobs = Toutes les tâches

## Colonnes
col-name = Nom
col-status = Statut
col-created = Créé
col-job = Tâche
col-progress = Progression
col-started = Démarrée
col-duration = Durée
col-result = Résultat
col-recipient = Destinataire
col-subject = Objet
col-sent = Envoyé
col-attempts = Tentatives
col-template = Modèle
col-versions = Langues
col-role = Rôle
col-last-login = Dernière connexion
col-actions = Actions

## Événements
events-empty-upcoming = Aucun événement à venir.

## Clients
customers-search = Rechercher des clients

## Tâches
jobs-title = Tâches
jobs-lead = Les imports, exports et envois d'e-mails s'exécutent en arrière-plan. Leur progression, leurs résultats et leurs erreurs s'affichent ici.
jobs-empty = Pas encore de tâches.
jobs-demo-title = Lancer une tâche de démonstration
jobs-demo-text = Une tâche de démonstration se contente de compter, lentement. Elle montre comment les tâches indiquent leur progression et ne modifie aucune donnée.
jobs-demo-steps = Étapes
jobs-demo-step-ms = Millisecondes par étape
jobs-demo-start = Lancer la tâche de démonstration
jobs-cancel = Annuler
jobs-cancelling = annulation…
job-status-queued = En attente
job-status-running = En cours
job-status-succeeded = Réussie
job-status-failed = Échouée
job-status-cancelled = Annulée

## Boîte d'envoi
outbox-title = Boîte d'envoi
outbox-lead = Tous les messages que votre organisation a envoyés ou va envoyer, les plus récents d'abord.
outbox-empty = Pas encore de messages.
outbox-marketing = marketing
message-status-queued = En attente
message-status-sending = Envoi en cours
message-status-sent = Envoyé
message-status-failed = Échec
message-status-suppressed = Non envoyé (pas de consentement)

## Modèles
templates-title = Modèles d'e-mail
templates-lead = Chaque message existe en anglais, en danois et en français. Modifiez le texte ; l'aperçu montre le résultat avec des valeurs d'exemple.
templates-built-in = intégré
templates-customized = personnalisé
templates-built-in-help = Ceci est le texte intégré. L'enregistrer en fait la version propre à votre organisation.
templates-html = Corps HTML
templates-text = Corps texte
templates-text-help = Laissez vide pour dériver le texte du HTML.
templates-preview = Aperçu
templates-preview-html = Aperçu du message HTML
templates-variables = Variables
templates-no-variables = Ce modèle n'a pas de variables.
template-job-finished = Tâche terminée
template-campaign-link = Lien de campagne
var-organization = le nom de l'organisation
var-recipient = le nom de la personne qui a lancé la tâche
var-job-title = ce que la tâche a fait
var-job-status = réussie, échouée ou annulée (succeeded, failed, cancelled)
var-job-error = la raison de l'échec (vide en cas de réussite)
var-job-url = la page de la tâche
var-customer-first-name = le prénom du client
var-customer-last-name = le nom du client
var-custom-text = le texte rédigé pour cet envoi
var-campaign-url = le lien vers l'offre
var-unsubscribe-url = le lien de désinscription en un clic (ajoutez-le toujours)

## Paramètres : organisation
org-title = Organisation
org-slug-help = Le slug identifie l'organisation à la connexion et ne peut pas être modifié.
org-language = Langue par défaut
org-timezone = Fuseau horaire
org-timezone-help = Les dates et heures s'affichent dans ce fuseau horaire.
org-currency = Devise

## Paramètres : utilisateurs
users-title = Utilisateurs
users-you = vous
users-active = Actif
users-disabled = Désactivé
users-change-role = Modifier
users-disable = Désactiver
users-enable = Activer
users-not-yourself = Vous ne pouvez pas modifier votre propre rôle ni vous désactiver.
users-last-owner = Le dernier propriétaire de l'organisation ne peut être ni rétrogradé, ni désactivé, ni supprimé. Nommez d'abord un autre propriétaire.
role-owner = Propriétaire
role-admin = Administrateur
role-marketer = Marketing
role-box-office = Guichet
role-viewer = Lecteur

## Paramètres : jetons d'API
tokens-title = Jetons d'API
tokens-lead = Les jetons permettent à d'autres systèmes d'utiliser l'API JSON au nom de votre organisation.
tokens-empty = Aucun jeton d'API.
tokens-prefix = Commence par
tokens-last-used = Dernière utilisation
tokens-revoke = Révoquer
tokens-create = Créer un jeton
tokens-create-button = Créer le jeton
tokens-created = Jeton créé
tokens-shown-once = Copiez le jeton maintenant : il n'est affiché que cette fois.
tokens-secret = Jeton

## Paramètres : e-mail
email-title = E-mail
email-sender = Expéditeur
email-sender-name = Nom de l'expéditeur
email-sender-email = E-mail de l'expéditeur
email-reply-to = Répondre à (facultatif)
email-transport = Distribution
email-file-drop = Dépôt de fichiers (pour essayer)
email-file-drop-help = Les messages sont écrits en fichiers .eml dans
email-smtp = Serveur SMTP
email-host = Hôte
email-port = Port
email-security = Sécurité
email-security-plain = Aucune (relais local uniquement)
email-username = Nom d'utilisateur
email-password-help = Laissez vide pour conserver le mot de passe enregistré.
email-test = Tester la connexion
email-test-help = Teste les paramètres enregistrés.
email-test-ok = La connexion fonctionne.
email-test-failed = La connexion a échoué :

## Pages publiques
not-found-text = Il n'y a rien à cette adresse.
unsubscribe-title = Se désinscrire
unsubscribe-text = Appuyez sur le bouton pour ne plus recevoir ce type d'e-mails.
unsubscribe-button = Se désinscrire
unsubscribe-done-title = Vous êtes désinscrit
unsubscribe-done-text = Vous ne recevrez plus ce type d'e-mails de notre part.

## Erreurs
error-title = Un problème est survenu
error-not-found-title = Page introuvable
error-forbidden-title = Non autorisé
error-not-found = Introuvable : cela n'existe pas, ou appartient à une autre organisation.
error-forbidden = Votre rôle ne permet pas cette action.
error-csrf = Le formulaire a expiré. Rechargez la page et réessayez.
error-unauthorized = Veuillez vous reconnecter.
error-rate-limited = Trop de tentatives. Attendez une minute et réessayez.
error-internal = Un problème est survenu de notre côté. Le journal du serveur contient les détails.
error-invalid = Ceci n'est pas valide
error-form = Veuillez corriger les champs signalés ci-dessous.
error-required = Ce champ est obligatoire.
error-email = Ceci n'est pas une adresse e-mail.
error-password-short = Le mot de passe doit comporter au moins 10 caractères.
error-currency = Utilisez un code de devise à trois lettres comme DKK ou EUR.
error-taken = Ceci est déjà utilisé.
error-timezone = Ceci n'est pas un fuseau horaire ; utilisez un nom comme Europe/Paris.
error-port = Utilisez un numéro de port de 1 à 65535.
error-number = Saisissez un nombre entier dans l'intervalle autorisé.
error-role = Choisissez l'un des rôles proposés.
error-role-not-allowed = Votre rôle ne permet pas d'attribuer ou de modifier ce rôle.

# Paramètres → Journal d’audit.
nav-audit = Journal d’audit
audit-title = Journal d’audit
audit-lead = Chaque export, envoi, étiquetage, e-mail de lien de campagne, audience créée depuis un segment, export et effacement de données client : qui, quand, sur quels clients.
audit-show = Afficher
audit-family-all = Tout
audit-family-segment = Actions sur les segments
audit-family-customer = Exports et effacements de données client
audit-empty = Rien d’enregistré pour l’instant.
audit-when = Quand
audit-who = Qui
audit-what = Quoi
audit-which = Segment et vue
audit-customers = Clients
audit-file = Fichier ou destination
audit-filters = { $count ->
    [one] un filtre
   *[other] { $count } filtres
}
audit-job = tâche
audit-older = Entrées plus anciennes
audit-action-segment-exported = Exporté
audit-action-segment-pushed = Envoyé
audit-action-segment-tagged = Étiqueté
audit-action-segment-untagged = Étiquettes annulées
audit-action-segment-mailed = Lien de campagne envoyé
audit-action-segment-audience = Audience créée ou actualisée
audit-action-customer-exported = Données client exportées
audit-action-customer-erased = Client effacé
jobs-open-result = Ouvrir le résultat
users-invited = Invité
users-remove = Supprimer
users-invite = Inviter un utilisateur
users-invite-help = La personne reçoit un e-mail avec un lien pour choisir elle-même son mot de passe. Le lien fonctionne une seule fois pendant 7 jours.
users-invite-language = Langue de l'invitation
users-invite-button = Envoyer l'invitation
users-invited-notice = Invitation envoyée à { $email }.
users-removed-notice = { $email } a été supprimé.
users-remove-title = Supprimer { $name } ?
users-remove-text = { $email } ne pourra plus se connecter, ses sessions prennent fin et les jetons d'API créés par cet utilisateur cessent de fonctionner. C'est définitif.
users-remove-confirm = Supprimer l'utilisateur
users-disable-title = Désactiver { $name } ?
users-disable-text = { $email } ne pourra plus se connecter et ses sessions prennent fin. Vous pourrez réactiver le compte plus tard.
users-disable-confirm = Désactiver l'utilisateur
users-cancel = Annuler
invitation-title = Votre invitation
invitation-heading = Rejoindre { $organization }
invitation-text = Choisissez le mot de passe avec lequel vous vous connecterez en tant que { $email }.
invitation-password = Mot de passe
invitation-password-help = Au moins 10 caractères.
invitation-password-again = Le même mot de passe à nouveau
invitation-button = Enregistrer mon mot de passe
invitation-passwords-differ = Les deux mots de passe sont différents.
invitation-done-title = Votre mot de passe est enregistré
invitation-done-text = Connectez-vous avec votre adresse e-mail et le mot de passe choisi.
invitation-spent-title = Ce lien ne fonctionne plus
invitation-spent-text = Un lien d'invitation fonctionne une seule fois pendant { $days } jours. Demandez une nouvelle invitation à la personne qui vous a invité.
org-most-used = Les plus utilisés
org-all = Tous
