# Segment actions: tags (seed 002). Owned by the tags pages and jobs.
segments-tags-title = Étiqueter les clients
segments-tags-lead = Ajoute une étiquette à chaque client de cette vue. Les clients qui l’ont déjà la gardent telle quelle, et une annulation ne retire l’étiquette qu’aux clients à qui cette action l’a donnée.
segments-tags-tag = Étiquette
segments-tags-tag-help = Une étiquette nouvelle ou existante : lettres a–z, chiffres, - et _ (les majuscules deviennent des minuscules).
segments-tags-apply = Étiqueter { $count } clients
segments-tags-existing = Étiquettes actuelles
segments-tags-none = Aucun client n’a encore d’étiquette.
segments-tags-in-selection = Dans cette vue
segments-tags-in-all = Tous les clients
segments-tags-past = Étiquetages précédents de ce segment
segments-tags-no-past = Ce segment n’a pas encore été étiqueté.
segments-tags-when = Lancé le
segments-tags-added = Étiquetés
segments-tags-removed = Retirés par l’annulation
segments-tags-status = État
segments-tags-status-tagging = en cours…
segments-tags-status-tagged = terminé
segments-tags-status-undoing = annulation en cours…
segments-tags-status-undone = annulé
segments-tags-undo = Annuler
segments-tags-job-title = Étiquette « { $tag } » sur les clients d’un segment
segments-tags-undo-job-title = Annuler l’étiquette « { $tag } »
segments-tags-job-nothing = Rien à étiqueter : l’action a été annulée.
segments-tags-job-started = Lecture des clients de la vue…
segments-tags-job-progress = { $customers } clients parcourus…
segments-tags-job-done = { $added ->
    [one] Un client étiqueté (les autres avaient déjà l’étiquette).
   *[other] { $added } clients étiquetés (ceux qui avaient déjà l’étiquette sont inchangés).
}
segments-tags-undo-started = Retrait de l’étiquette aux clients qui l’ont reçue…
segments-tags-undo-progress = { $customers } clients parcourus…
segments-tags-undo-done = { $removed ->
    [one] L’étiquette a été retirée à un client.
   *[other] L’étiquette a été retirée à { $removed } clients.
}
