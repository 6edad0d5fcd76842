# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
segments-actions = Handlinger
segments-actions-hint = Brug kunderne, der er talt op ovenfor: hver handling bruger filtrene, som de står nu, og skrives i revisionsloggen.
segments-action-export = Eksportér
segments-action-push = Send til Meta eller et mailværktøj
segments-action-tag = Giv kunder tag/flag
segments-action-mail = Send et kampagnelink
segments-action-audience = Lav en målgruppe
segments-chosen = Hvad handlingen gælder
segments-chosen-customers = kunder
segments-chosen-view = gemt visning “{ $view }”
segments-chosen-whole = hele segmentet
segments-chosen-filters = { $count ->
    [one] med ét filter
   *[other] med { $count } filtre
}
segments-chosen-for = vist for { $name }
