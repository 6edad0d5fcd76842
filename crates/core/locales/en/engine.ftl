# The engine's own words: what an import, a mapping or a job says, wherever it is shown.
# Every key used as `Msg::new("…")` anywhere lives here, so its English is there wherever the
# message is made (a unit test, a job, the API) without installing a module's files.

## Places
engine-at-row = row { $row }, { $field }
engine-at-row-value = row { $row }, { $field } `{ $value }`
engine-place-reason = { $place }: { $reason }
engine-and-more = { $first } (and { $more } more)

## Numbers in cells
engine-empty = is empty
engine-not-whole-number = `{ $value }` is not a whole number
engine-number-too-large = `{ $value }` is too large a number
engine-number-two-ways = `{ $value }` reads two ways: { $thousands } (`{ $mark }` grouping thousands) or { $decimal } (`{ $mark }` as the decimal mark); write { $thousands } without the `{ $mark }`, or the number with fewer decimals

## Files
engine-file-xls = is an old Excel 97–2003 workbook (.xls), which this import does not read; save it as .xlsx (Excel workbook) or CSV and upload it again
engine-file-unreadable = is not a readable { $kind } spreadsheet
engine-file-unreadable-because = is not a readable { $kind } spreadsheet: { $detail }
engine-file-is-spreadsheet = is a spreadsheet; this import reads CSV files (save the sheet as CSV)
engine-file-no-rows = has no rows to import
engine-sheet-cut-short = the sheet could not be read to its end
engine-row-unreadable = cannot be read: { $detail }
engine-rows-out-of-order = the sheet lists row { $row } after row { $previous }; open the file in a spreadsheet program and save it again
engine-row-too-big = a row holding more than 1 MiB of text; this import reads rows of at most 1 MiB
engine-line-too-long = a line longer than 1 MiB; this import reads lines of at most 1 MiB
engine-unclosed-quote = a quoted field starts here and is never closed (a `"` is missing)
engine-cell-too-long = a cell longer than { $max } characters; a cell holds at most { $max } characters
engine-cell-too-far-right = a cell in column { $column }; this import reads at most { $max } columns
engine-row-wider-than-header = has { $fields } fields but the header has { $header }
engine-too-many-rows = too many rows; at most { $max }

## Mapping columns to fields
engine-mapping-unknown-field = `{ $choice }` is not a field; choose one of { $fields } or `ignore`
engine-mapping-chosen-twice = `{ $field }` is already chosen for another column
engine-mapping-required = no column maps to this required field; choose a column for it

## An import as a job
engine-import-checked = checked { $rows } rows
engine-import-written = imported { $rows } rows
engine-import-written-refused = imported { $rows } rows, { $refused } refused
engine-import-rows-refused = { $finished }; { $refused ->
    [one] 1 row refused
   *[other] { $refused } rows refused
  } (see { $file })
engine-import-nothing-imported = nothing was imported: { $rows ->
    [one] 1 row of the file has errors.
   *[other] { $rows } rows of the file have errors.
  }
engine-import-more-problems = … and more: see { $file } ({ $errors } errors listed there).

## Codes of an audience (its import, its forms)
engine-code-empty = is empty; every member needs a code
engine-code-too-long = is longer than { $max } characters
engine-code-control-character = contains a control character (a tab or line break inside the code)
engine-quantity-empty = is empty; every member needs a quantity
engine-quantity-too-small = must be 1 or more (it is { $quantity })
engine-quantity-too-large = must be at most { $max }
engine-code-in-audience = code { $code } is already in this audience
engine-code-twice-in-file = code { $code } appears twice in the file (first on row { $first })
engine-no-such-customer = no customer `{ $reference }` in this organization (give a customer id or email)
engine-not-a-category = `{ $category }` is not a category of this audience's venue or events
engine-not-a-seat-label = `{ $seat }` is not a seat label at this audience's venue
engine-audience-imported = imported { $rows } members into { $audience }

## Ticket intents imported
engine-intents-dry-run = dry run: { $tickets ->
    [one] 1 ticket
   *[other] { $tickets } tickets
  } would be booked, nothing was booked
engine-intents-booked = booked { $tickets ->
    [one] 1 ticket
   *[other] { $tickets } tickets
  } in { $intents ->
    [one] 1 intent
   *[other] { $intents } intents
  }
engine-intents-already-imported = { $booked }; { $already ->
    [one] 1 row
   *[other] { $already } rows
  } already imported

## Jobs: their titles and kinds
engine-job-title-audience-new = Import audience { $audience } from { $file }
engine-job-title-audience-into = Import { $file } into audience { $audience }
engine-job-title-intents = Import intents from { $file }
engine-job-title-intents-dry-run = Dry run of importing intents from { $file }
engine-job-title-mail = Deliver mail
engine-job-title-demo = Demo job ({ $steps } steps)
engine-mail-handled = { $count } messages handled
engine-demo-counted = counted { $done } of { $steps }
engine-job-cancelled = the job was cancelled
engine-job-no-handler = this kind of job cannot run here (no handler for { $kind })
job-kind-audiences-import = Audience import
job-kind-intents-import = Ticket import
job-kind-mail-deliver = Mail delivery
job-kind-demo-count = Demo job
job-kind-segments-audience = Segment audience refresh
job-kind-segments-tag = Tagging customers
job-kind-segments-untag = Removing a tag
job-kind-segments-export = Segment export
job-kind-segments-push = Push to a marketing tool
job-kind-segments-send = Mail send to a segment
job-kind-referrals-backdate = Referral backdating
job-kind-other = Background job

## The Jobs page
jobs-stopped-at = { $done } of { $total } when it stopped
jobs-just-started = Just started
