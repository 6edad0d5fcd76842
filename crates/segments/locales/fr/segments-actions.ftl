# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
segments-actions-hint = Agissez sur les clients comptés ci-dessus : chaque action reprend les filtres tels qu’ils sont réglés et est inscrite au journal d’audit.
segments-action-export = Exporter
segments-action-push = Envoyer vers Meta ou un outil d’e-mailing
segments-action-tag = Étiqueter les clients
segments-action-mail = Envoyer un lien de campagne
segments-action-audience = Créer une audience
segments-chosen = Ce sur quoi porte l’action
segments-chosen-customers = clients
segments-chosen-view = vue enregistrée « { $view } »
segments-chosen-whole = le segment entier
segments-chosen-filters = { $count ->
    [one] avec un filtre
   *[other] avec { $count } filtres
}
segments-chosen-for = affiché pour { $name }
segments-audience-title = Créer une audience
segments-audience-lead = Chaque client de cette vue devient membre d’une nouvelle audience, rattaché à sa fiche : une campagne de fidélité qui cible l’audience le reconnaît à l’achat, sans code.
segments-audience-name = Nom de l’audience
segments-audience-quantity = Utilisations par client
segments-audience-quantity-help = Le nombre de billets pour lesquels chaque client peut utiliser la campagne.
segments-audience-sync = La tenir à jour avec la vue
segments-audience-sync-daily = Chaque jour, et quand je l’actualise
segments-audience-sync-manual = Seulement quand je l’actualise
segments-audience-rule = Une actualisation ajoute les clients entrés dans la vue et retire ceux qui en sont sortis, sauf un client dont une campagne a déjà utilisé le code : il reste.
segments-audience-make = Créer l’audience de { $count } clients
segments-audience-fed = Audiences issues de ce segment
segments-audience-none = Aucune audience n’a encore été créée à partir de ce segment.
segments-audience-members = Membres
segments-audience-last = Dernière actualisation
segments-audience-never = pas encore
segments-audience-refresh = Actualiser maintenant
segments-audience-added = { $count } ajoutés
segments-audience-removed = { $count } retirés
segments-audience-kept-used = { $count } conservés (code utilisé)
segments-audience-job-title = Audience « { $audience } » depuis un segment
segments-audience-job-reading = Lecture des clients de la vue…
segments-audience-job-writing = Écriture de { $customers } clients dans l’audience…
