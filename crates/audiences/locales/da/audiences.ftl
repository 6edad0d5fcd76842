# Promovér → Målgrupper: kodelister, upload med kolonnetildeling, genererede målgrupper.

audiences-title = Målgrupper
audiences-intro = Lister af koder (adgang, rabat, pladsoplåsning eller loyalitet), som kampagner knytter til events. Upload et regneark, skriv koder ind eller generér dem.
audiences-upload = Upload en fil
audiences-generate = Generér en målgruppe
audiences-new-blank = Ny tom målgruppe
audiences-description = Beskrivelse
audiences-create = Opret målgruppe
audiences-search = Søg i målgrupper
audiences-empty = Ingen målgrupper endnu. Upload en fil, generér koder eller opret en tom målgruppe.
audiences-no-match = Ingen målgruppe passer til søgningen.
audiences-members = Medlemmer
audiences-total-quantity = Anvendelser i alt
audiences-source = Oprettet ved
audiences-source-blank = hånd
audiences-source-upload = upload
audiences-source-generated = generator
audiences-source-segment = segmentvisning
audiences-updated = Senest ændret
audiences-summary-members = { $count } medlemmer
audiences-summary-uses = { $count } anvendelser i alt
audiences-export-csv = Eksportér CSV
audiences-export-xlsx = Eksportér Excel (XLSX)
audiences-rename = Omdøb eller slet
audiences-delete = Slet denne målgruppe
audiences-delete-confirm = Slet denne målgruppe og alle dens koder?
audiences-add-member = Tilføj en kode
audiences-add = Tilføj
audiences-search-members = Søg i koder, kategorier og pladser
audiences-no-members = Ingen koder endnu.
audiences-no-member-match = Ingen kode passer til søgningen.
audiences-field-code = Kode
audiences-field-quantity = Antal
audiences-field-category = Kategori
audiences-field-seat = Pladsnavn
audiences-field-customer = Kunde (id eller e-mail)
audiences-actions = Handlinger
audiences-edit = Redigér
audiences-remove = Fjern
audiences-edit-member = Redigér kode
audiences-upload-help = CSV med enhver separator (komma, semikolon, tabulator, lodret streg) og enhver almindelig tegnkodning, eller et Excel- (XLSX, XLS) eller OpenDocument-ark (ODS), op til 200 MB. Kolonner: Kode og Antal (påkrævet), Kategori, Pladsnavn, Kunde; du tildeler dem i næste trin.
audiences-file = Fil
audiences-choose-file = Vælg en fil at uploade.
audiences-next = Næste: tildel kolonnerne
audiences-mapping-title = Tildel kolonnerne
audiences-mapping-file = Fil: { $file }
audiences-new-name = Navn på den nye målgruppe
audiences-header-rows = Overskriftsrækker, der ignoreres
audiences-header-auto = Find automatisk
audiences-header-none = Ingen: hver række er en kode
audiences-header-one = 1 (første række navngiver kolonnerne)
audiences-detected = Læst som
audiences-format-delimited = tekst (CSV)
audiences-format-xlsx = Excel-projektmappe (XLSX)
audiences-format-ods = OpenDocument-regneark (ODS)
audiences-format-xls = Excel 97–2003-projektmappe (XLS)
audiences-separator = separator
audiences-header-rows-found = { $count ->
    [one] 1 overskriftsrække
   *[other] { $count } overskriftsrækker
}
audiences-preview = De første rækker, præcis som de bliver importeret
audiences-row = Række
audiences-ignore-column = Ignorér denne kolonne
audiences-import = Importér
audiences-generate-kind = Hvad skal genereres
audiences-generate-codes = Tilfældige koder ud fra et mønster
audiences-generate-barcodes = Stregkoderne fra tidligere events (hver stregkode bliver en kode)
audiences-generate-holders = Billetindehaverne fra tidligere events (til en loyalitetskampagne)
audiences-pattern = Mønster
audiences-pattern-help = Hvert X bliver et tilfældigt tegn, der ikke kan forveksles (intet 0/O, 1/I/L); mindst 4 X.
audiences-count = Antal koder
audiences-events = Events (til stregkoder og indehavere)
audiences-events-help = Event-id'er (evt_…), adskilt af kommaer eller mellemrum.

# Column mapping: a field chosen twice, the Import button, files that are no spreadsheet.
audiences-duplicate-field = Feltet er også valgt til en anden kolonne: behold det på én kolonne.
audiences-duplicate-fields = Et felt er valgt til to kolonner.
audiences-import-codes-uses = Importér { $codes ->
    [one] 1 kode
   *[other] { $codes_shown } koder
}, { $uses ->
    [one] 1 anvendelse
   *[other] { $uses_shown } anvendelser
}
audiences-import-codes = Importér { $codes ->
    [one] 1 kode
   *[other] { $codes_shown } koder
}
audiences-not-spreadsheet-png = Dette er et PNG-billede, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-jpeg = Dette er et JPEG-billede, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-gif = Dette er et GIF-billede, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-webp = Dette er et WebP-billede, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-pdf = Dette er et PDF-dokument, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-zip = Dette er et ZIP-arkiv, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-document = Dette er et tekstdokument, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-gzip = Dette er en komprimeret (gzip) fil, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-program = Dette er et program, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-not-spreadsheet-binary = Dette er en binær fil, ikke et regneark: upload en CSV- eller XLSX-fil.
audiences-used = Brugt
audiences-remaining = Tilbage
# Export headers: names the import reads back.
audiences-export-col-code = Kode
audiences-export-col-quantity = Antal
audiences-export-col-category = Kategori
audiences-export-col-seat = Plads
audiences-export-col-customer = Kunde
