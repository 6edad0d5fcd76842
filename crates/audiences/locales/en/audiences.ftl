# Promote → Audiences: code lists, uploads with column mapping, generated audiences.

audiences-title = Audiences
audiences-intro = Lists of codes (access, discount, seat unlock or loyalty) that campaigns attach to events. Upload a spreadsheet, type codes by hand or generate them.
audiences-upload = Upload a file
audiences-generate = Generate an audience
audiences-new-blank = New blank audience
audiences-description = Description
audiences-create = Create audience
audiences-search = Search audiences
audiences-empty = No audiences yet. Upload a file, generate codes or create a blank audience.
audiences-no-match = No audience matches this search.
audiences-members = Members
audiences-total-quantity = Uses in total
audiences-source = Made by
audiences-source-blank = hand
audiences-source-upload = upload
audiences-source-generated = generator
audiences-source-segment = segment view
audiences-updated = Last changed
audiences-summary-members = { $count } members
audiences-summary-uses = { $count } uses in total
audiences-export-csv = Export CSV
audiences-export-xlsx = Export Excel (XLSX)
audiences-rename = Rename or delete
audiences-delete = Delete this audience
audiences-delete-confirm = Delete this audience and all its codes?
audiences-add-member = Add a code
audiences-add = Add
audiences-search-members = Search codes, categories and seats
audiences-no-members = No codes yet.
audiences-no-member-match = No code matches this search.
audiences-field-code = Code
audiences-field-quantity = Quantity
audiences-field-category = Category
audiences-field-seat = Seat label
audiences-field-customer = Customer (id or email)
audiences-actions = Actions
audiences-edit = Edit
audiences-remove = Remove
audiences-edit-member = Edit code
audiences-upload-help = CSV with any separator (comma, semicolon, tab, pipe) and any common encoding, or an Excel (XLSX, XLS) or OpenDocument (ODS) sheet, up to 200 MB. Columns: Code and Quantity (required), Category, Seat label, Customer; you map them on the next step.
audiences-file = File
audiences-choose-file = Choose a file to upload.
audiences-next = Next: map the columns
audiences-mapping-title = Map the columns
audiences-mapping-file = File: { $file }
audiences-new-name = Name of the new audience
audiences-header-rows = Header rows to ignore
audiences-header-auto = Detect automatically
audiences-header-none = None: every row is a code
audiences-header-one = 1 (the first row names the columns)
audiences-detected = Read as
audiences-format-delimited = text (CSV)
audiences-format-xlsx = Excel workbook (XLSX)
audiences-format-ods = OpenDocument sheet (ODS)
audiences-format-xls = Excel 97–2003 workbook (XLS)
audiences-separator = separator
audiences-header-rows-found = { $count ->
    [one] 1 header row
   *[other] { $count } header rows
}
audiences-preview = The first rows, exactly as they will be imported
audiences-row = Row
audiences-ignore-column = Ignore this column
audiences-import = Import
audiences-generate-kind = What to generate
audiences-generate-codes = Random codes from a pattern
audiences-generate-barcodes = The ticket barcodes of past events (each barcode becomes a code)
audiences-generate-holders = The ticket holders of past events (for a loyalty campaign)
audiences-pattern = Pattern
audiences-pattern-help = Each X becomes a random character that cannot be misread (no 0/O, 1/I/L); at least 4 X.
audiences-count = How many codes
audiences-events = Events (for barcodes and holders)
audiences-events-help = Event ids (evt_…), separated by commas or spaces.

# Column mapping: a field chosen twice, the Import button, files that are no spreadsheet.
audiences-duplicate-field = This field is also chosen for another column: keep it on one column.
audiences-duplicate-fields = A field is chosen for two columns.
audiences-import-codes-uses = Import { $codes ->
    [one] 1 code
   *[other] { $codes_shown } codes
}, { $uses ->
    [one] 1 use
   *[other] { $uses_shown } uses
}
audiences-import-codes = Import { $codes ->
    [one] 1 code
   *[other] { $codes_shown } codes
}
audiences-not-spreadsheet-png = This is a PNG image, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-jpeg = This is a JPEG image, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-gif = This is a GIF image, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-webp = This is a WebP image, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-pdf = This is a PDF document, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-zip = This is a ZIP archive, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-document = This is a text document, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-gzip = This is a compressed (gzip) file, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-program = This is a program, not a spreadsheet: upload a CSV or XLSX file.
audiences-not-spreadsheet-binary = This is a binary file, not a spreadsheet: upload a CSV or XLSX file.
audiences-used = Used
audiences-remaining = Remaining
# Export headers: names the import reads back.
audiences-export-col-code = Code
audiences-export-col-quantity = Quantity
audiences-export-col-category = Category
audiences-export-col-seat = Seat
audiences-export-col-customer = Customer
