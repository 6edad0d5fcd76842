# Motorens egne ord: hvad en import, en kolonnetilknytning eller et job siger.

## Steder
engine-at-row = række { $row }, { $field }
engine-at-row-value = række { $row }, { $field } `{ $value }`
engine-place-reason = { $place }: { $reason }
engine-and-more = { $first } (og { $more } mere)

## Tal i celler
engine-empty = er tom
engine-not-whole-number = `{ $value }` er ikke et helt tal
engine-number-too-large = `{ $value }` er et for stort tal
engine-number-two-ways = `{ $value }` kan læses på to måder: { $thousands } (`{ $mark }` adskiller tusinder) eller { $decimal } (`{ $mark }` som decimaltegn); skriv { $thousands } uden `{ $mark }`, eller tallet med færre decimaler

## Filer
engine-file-xls = er en gammel Excel 97–2003-projektmappe (.xls), som denne import ikke kan læse; gem den som .xlsx (Excel-projektmappe) eller CSV og upload den igen
engine-file-unreadable = er ikke et læsbart { $kind }-regneark
engine-file-unreadable-because = er ikke et læsbart { $kind }-regneark: { $detail }
engine-file-is-spreadsheet = er et regneark; denne import læser CSV-filer (gem arket som CSV)
engine-file-no-rows = har ingen rækker at importere
engine-sheet-cut-short = arket kunne ikke læses til ende
engine-row-unreadable = kan ikke læses: { $detail }
engine-rows-out-of-order = arket har række { $row } efter række { $previous }; åbn filen i et regnearksprogram og gem den igen
engine-row-too-big = en række med mere end 1 MiB tekst; denne import læser rækker på højst 1 MiB
engine-line-too-long = en linje på mere end 1 MiB; denne import læser linjer på højst 1 MiB
engine-unclosed-quote = et felt i anførselstegn begynder her og lukkes aldrig (et `"` mangler)
engine-cell-too-long = en celle med mere end { $max } tegn; en celle rummer højst { $max } tegn
engine-cell-too-far-right = en celle i kolonne { $column }; denne import læser højst { $max } kolonner
engine-row-wider-than-header = har { $fields } felter, men overskriften har { $header }
engine-too-many-rows = for mange rækker; højst { $max }

## Kolonner og felter
engine-mapping-unknown-field = `{ $choice }` er ikke et felt; vælg et af { $fields } eller `ignore`
engine-mapping-chosen-twice = `{ $field }` er allerede valgt til en anden kolonne
engine-mapping-required = ingen kolonne er knyttet til dette obligatoriske felt; vælg en kolonne til det

## En import som job
engine-import-checked = { $rows } rækker kontrolleret
engine-import-written = { $rows } rækker importeret
engine-import-written-refused = { $rows } rækker importeret, { $refused } afvist
engine-import-rows-refused = { $finished }; { $refused ->
    [one] 1 række afvist
   *[other] { $refused } rækker afvist
  } (se { $file })
engine-import-nothing-imported = intet blev importeret: { $rows ->
    [one] 1 række i filen har fejl.
   *[other] { $rows } rækker i filen har fejl.
  }
engine-import-more-problems = … og flere: se { $file } ({ $errors } fejl står der).

## Koder i en målgruppe
engine-code-empty = er tom; hvert medlem skal have en kode
engine-code-too-long = er længere end { $max } tegn
engine-code-control-character = indeholder et kontroltegn (en tabulator eller et linjeskift inde i koden)
engine-quantity-empty = er tom; hvert medlem skal have et antal
engine-quantity-too-small = skal være 1 eller mere (den er { $quantity })
engine-quantity-too-large = må højst være { $max }
engine-code-in-audience = koden { $code } er allerede i denne målgruppe
engine-code-twice-in-file = koden { $code } står to gange i filen (første gang i række { $first })
engine-no-such-customer = ingen kunde `{ $reference }` i denne organisation (angiv et kunde-id eller en e-mail)
engine-not-a-category = `{ $category }` er ikke en kategori på målgruppens spillested eller forestillinger
engine-not-a-seat-label = `{ $seat }` er ikke en pladsbetegnelse på målgruppens spillested
engine-audience-imported = { $rows } medlemmer importeret i { $audience }

## Ticket intents imported
engine-intents-dry-run = prøvekørsel: { $tickets ->
    [one] 1 billet
   *[other] { $tickets } billetter
  } ville blive booket, intet blev booket
engine-intents-booked = { $tickets ->
    [one] 1 billet
   *[other] { $tickets } billetter
  } booket i { $intents ->
    [one] 1 billetønske
   *[other] { $intents } billetønsker
  }
engine-intents-already-imported = { $booked }; { $already ->
    [one] 1 række
   *[other] { $already } rækker
  } allerede importeret

## Job: titler og slags
engine-job-title-audience-new = Importér målgruppen { $audience } fra { $file }
engine-job-title-audience-into = Importér { $file } i målgruppen { $audience }
engine-job-title-intents = Importér billetønsker fra { $file }
engine-job-title-intents-dry-run = Prøvekørsel af import af billetønsker fra { $file }
engine-job-title-mail = Send e-mails
engine-job-title-demo = Demojob ({ $steps } trin)
engine-mail-handled = { $count } beskeder behandlet
engine-demo-counted = talt { $done } af { $steps }
engine-job-cancelled = jobbet blev annulleret
engine-job-no-handler = denne slags job kan ikke køre her (intet håndtag for { $kind })
job-kind-audiences-import = Import af målgruppe
job-kind-intents-import = Import af billetter
job-kind-mail-deliver = Afsendelse af e-mail
job-kind-demo-count = Demojob
job-kind-segments-audience = Opdatering af segmentmålgruppe
job-kind-segments-tag = Mærkning af kunder
job-kind-segments-untag = Fjernelse af et mærke
job-kind-segments-export = Eksport af segment
job-kind-segments-push = Overførsel til et marketingværktøj
job-kind-segments-send = Udsendelse til et segment
job-kind-referrals-backdate = Tilbagedatering af henvisninger
job-kind-other = Baggrundsjob

## The Jobs page
jobs-stopped-at = { $done } af { $total }, da det stoppede
jobs-just-started = Lige startet
