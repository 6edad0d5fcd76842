# Segment actions: tags (seed 002). Owned by the tags pages and jobs.
segments-tags-title = Giv kunder et tag
segments-tags-lead = Giver alle kunder i denne visning et tag. Kunder, der allerede har tagget, beholder det uændret, og en fortrydelse fjerner kun tagget fra de kunder, denne handling gav det.
segments-tags-tag = Tag
segments-tags-tag-help = Et nyt eller eksisterende tag: bogstaverne a–z, tal, - og _ (store bogstaver bliver til små).
segments-tags-apply = Giv { $count } kunder tagget
segments-tags-existing = Tags lige nu
segments-tags-none = Ingen kunder har et tag endnu.
segments-tags-in-selection = I denne visning
segments-tags-in-all = Alle kunder
segments-tags-past = Tidligere tag-handlinger på dette segment
segments-tags-no-past = Dette segment har ikke fået tags endnu.
segments-tags-when = Startet
segments-tags-added = Fik tagget
segments-tags-removed = Fjernet ved fortrydelse
segments-tags-status = Status
segments-tags-status-tagging = tilføjer…
segments-tags-status-tagged = færdig
segments-tags-status-undoing = fortryder…
segments-tags-status-undone = fortrudt
segments-tags-undo = Fortryd
segments-tags-job-title = Tagget “{ $tag }” på et segments kunder
segments-tags-undo-job-title = Fortryd tagget “{ $tag }”
segments-tags-job-nothing = Intet at tilføje: handlingen blev fortrudt.
segments-tags-job-started = Læser visningens kunder…
segments-tags-job-progress = { $customers } kunder gennemgået…
segments-tags-job-done = { $added ->
    [one] Én kunde fik tagget (de andre havde det allerede).
   *[other] { $added } kunder fik tagget (dem, der allerede havde det, er uændrede).
}
segments-tags-undo-started = Fjerner tagget fra de kunder, der fik det…
segments-tags-undo-progress = { $customers } kunder gennemgået…
segments-tags-undo-done = { $removed ->
    [one] Tagget blev fjernet fra én kunde.
   *[other] Tagget blev fjernet fra { $removed } kunder.
}
