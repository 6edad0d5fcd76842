# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
segments-actions = Actions
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
