# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
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
segments-audience-title = Lav en målgruppe
segments-audience-lead = Hver kunde i denne visning bliver medlem af en ny målgruppe, knyttet til kunden: en loyalitetskampagne rettet mod målgruppen genkender kunden ved køb, uden kode.
segments-audience-name = Målgruppens navn
segments-audience-quantity = Anvendelser pr. kunde
segments-audience-quantity-help = Hvor mange billetter hver kunde må bruge kampagnen til.
segments-audience-sync = Hold den i takt med visningen
segments-audience-sync-daily = Dagligt, og når jeg opdaterer den
segments-audience-sync-manual = Kun når jeg opdaterer den
segments-audience-rule = En opdatering tilføjer kunder, der er kommet ind i visningen, og fjerner dem, der er gået ud – undtagen kunder, hvis kode en kampagne allerede har brugt: de bliver.
segments-audience-make = Lav målgruppen med { $count } kunder
segments-audience-fed = Målgrupper fra dette segment
segments-audience-none = Der er endnu ikke lavet en målgruppe fra dette segment.
segments-audience-members = Medlemmer
segments-audience-last = Seneste opdatering
segments-audience-never = endnu ikke
segments-audience-refresh = Opdatér nu
segments-audience-added = { $count } tilføjet
segments-audience-removed = { $count } fjernet
segments-audience-kept-used = { $count } beholdt (kode brugt)
segments-audience-job-title = Målgruppe “{ $audience }” fra et segment
segments-audience-job-reading = Læser visningens kunder…
segments-audience-job-writing = Skriver { $customers } kunder til målgruppen…
