# The organizer web UI, English.

## Layout and navigation
skip-to-content = Skip to content
language = Language
log-in = Log in
log-out = Log out
nav-main = Main navigation
nav-coming = coming
nav-promote = Promote
nav-audiences = Audiences
nav-campaigns = Campaigns
nav-referrals = Referral rewards
nav-customers-section = Customers
nav-customers = Customers
nav-segmentation = Segmentation
nav-sales = Sales
nav-events = Events
nav-intents = Purchase intents
nav-operations = Operations
nav-jobs = Jobs
nav-outbox = Outbox
nav-settings = Settings
nav-organization = Organization
nav-users = Users
nav-api-tokens = API tokens
nav-email = Email
nav-templates = Templates
breadcrumb = Breadcrumb
pager = Pages
next-page = Next page
previous-page = Previous page
search = Search
save = Save
saved = Saved.
user-api-token = API token
go-to-start = Go to the start page
language-name-en = English
language-name-da = Danish
language-name-fr = French

## Login
login-title = Log in
login-heading = Log in to Fullhouse
login-several-orgs = Several organizations?
login-failed = The email or password is wrong.
login-rate-limited = Too many failed logins for this account. Try again in { $minutes } min.
login-expired = Your login form expired. Please try again.
login-choose-organization = This email has accounts in several organizations: give the organization's slug.
field-email = Email
field-password = Password
field-organization-slug = Organization (slug)

## Start page
home-title = Start
welcome = Welcome, { $name }
home-lead = Here is what is coming up and what ran lately.
home-upcoming = Upcoming events
home-all-events = All events
home-recent-jobs = Recent jobs
home-all-jobs = All jobs

## Columns
col-name = Name
col-status = Status
col-created = Created
col-job = Job
col-progress = Progress
col-started = Started
col-duration = Duration
col-result = Result
col-recipient = Recipient
col-subject = Subject
col-sent = Sent
col-attempts = Attempts
col-template = Template
col-versions = Languages
col-role = Role
col-last-login = Last login
col-actions = Actions

## Events
events-empty-upcoming = No upcoming events.

## Customers
customers-search = Search customers

## Jobs
jobs-title = Jobs
jobs-lead = Imports, exports and mail sends run in the background. Their progress, results and errors are shown here.
jobs-empty = No jobs yet.
jobs-demo-title = Start a demo job
jobs-demo-text = A demo job only counts, slowly. It shows how jobs report progress and changes no data.
jobs-demo-steps = Steps
jobs-demo-step-ms = Milliseconds per step
jobs-demo-start = Start demo job
jobs-cancel = Cancel
jobs-cancelling = cancelling…
job-status-queued = Queued
job-status-running = Running
job-status-succeeded = Succeeded
job-status-failed = Failed
job-status-cancelled = Cancelled

## Outbox
outbox-title = Outbox
outbox-lead = Every message your organization sent or will send, newest first.
outbox-empty = No messages yet.
outbox-marketing = marketing
message-status-queued = Queued
message-status-sending = Sending
message-status-sent = Sent
message-status-failed = Failed
message-status-suppressed = Not sent (no consent)

## Templates
templates-title = Email templates
templates-lead = Each message exists in English, Danish and French. Change the wording; the preview shows the result with sample values.
templates-built-in = built-in
templates-customized = customized
templates-built-in-help = This is the built-in text. Saving makes it your organization's own version.
templates-html = HTML body
templates-text = Text body
templates-text-help = Leave empty to derive the text from the HTML.
templates-preview = Preview
templates-preview-html = Preview of the HTML message
templates-variables = Variables
templates-no-variables = This template has no variables.
template-job-finished = Job finished
template-campaign-link = Campaign link
var-organization = the organization's name
var-recipient = the name of the person who started the job
var-job-title = what the job did
var-job-status = succeeded, failed or cancelled
var-job-error = why it failed (empty when it succeeded)
var-job-url = the job's page
var-customer-first-name = the customer's first name
var-customer-last-name = the customer's last name
var-custom-text = the text written for this send
var-campaign-url = the link to the offer
var-unsubscribe-url = the one-click unsubscribe link (always add it)

## Settings: organization
org-title = Organization
org-slug-help = The slug identifies the organization at login and cannot be changed.
org-language = Default language
org-timezone = Time zone
org-timezone-help = Dates and times are shown in this time zone.
org-currency = Currency

## Settings: users
users-title = Users
users-you = you
users-active = Active
users-disabled = Disabled
users-change-role = Change
users-disable = Disable
users-enable = Enable
users-not-yourself = You cannot change your own role or disable yourself.
users-last-owner = The organization's last owner cannot be demoted, disabled or deleted. Make another user owner first.
role-owner = Owner
role-admin = Administrator
role-marketer = Marketer
role-box-office = Box office
role-viewer = Viewer

## Settings: API tokens
tokens-title = API tokens
tokens-lead = Tokens let other systems use the JSON API on behalf of your organization.
tokens-empty = No API tokens.
tokens-prefix = Begins with
tokens-last-used = Last used
tokens-revoke = Revoke
tokens-create = Create a token
tokens-create-button = Create token
tokens-created = Token created
tokens-shown-once = Copy the token now: it is shown only this once.
tokens-secret = Token

## Settings: email
email-title = Email
email-sender = Sender
email-sender-name = Sender name
email-sender-email = Sender email
email-reply-to = Reply-to (optional)
email-transport = Delivery
email-file-drop = File drop (for trying things out)
email-file-drop-help = Messages are written as .eml files to
email-smtp = SMTP server
email-host = Host
email-port = Port
email-security = Security
email-security-plain = None (local relay only)
email-username = Username
email-password-help = Leave empty to keep the saved password.
email-test = Test connection
email-test-help = Tests the saved settings.
email-test-ok = The connection works.
email-test-failed = The connection failed:

## Public pages
not-found-text = There is nothing at this address.
unsubscribe-title = Unsubscribe
unsubscribe-text = Press the button to stop receiving this kind of mail.
unsubscribe-button = Unsubscribe
unsubscribe-done-title = You are unsubscribed
unsubscribe-done-text = You will not receive this kind of mail from us any more.

## Errors
error-title = Something went wrong
error-not-found-title = Page not found
error-forbidden-title = Not allowed
error-not-found = Not found: it does not exist, or it belongs to another organization.
error-forbidden = Your role does not allow this.
error-csrf = The form expired. Reload the page and try again.
error-unauthorized = Please log in again.
error-rate-limited = Too many attempts. Wait a minute and try again.
error-internal = Something went wrong on our side. The server log has the details.
error-invalid = This is not valid
error-form = Please correct the fields marked below.
error-required = This field is required.
error-email = This is not an email address.
error-password-short = The password must be at least 10 characters long.
error-currency = Use a three-letter currency code such as DKK or EUR.
error-taken = This is already in use.
error-timezone = This is not a time zone; use a name such as Europe/Copenhagen.
error-port = Use a port number from 1 to 65535.
error-number = Enter a whole number within the allowed range.
error-role = Choose one of the roles offered.
error-role-not-allowed = Your role may not grant or change this role.

# Settings → Audit log.
nav-audit = Audit log
audit-title = Audit log
audit-lead = Every export, push, tag action, campaign-link mail, audience made from a segment, customer data export and erasure: who did it, when, on which customers.
audit-show = Show
audit-family-all = Everything
audit-family-segment = Segment actions
audit-family-customer = Customer data exports and erasures
audit-empty = Nothing recorded yet.
audit-when = When
audit-who = Who
audit-what = What
audit-which = Segment and view
audit-customers = Customers
audit-file = File or target
audit-filters = { $count ->
    [one] one filter
   *[other] { $count } filters
}
audit-job = job
audit-older = Older entries
audit-action-segment-exported = Exported
audit-action-segment-pushed = Pushed
audit-action-segment-tagged = Tagged
audit-action-segment-untagged = Tags undone
audit-action-segment-mailed = Campaign link mailed
audit-action-segment-audience = Audience made or refreshed
audit-action-customer-exported = Customer data exported
audit-action-customer-erased = Customer erased
jobs-open-result = Open the result
users-invited = Invited
users-remove = Remove
users-invite = Invite a user
users-invite-help = The person gets an email with a link to choose their own password. The link works once, for 7 days.
users-invite-language = Language of the invitation
users-invite-button = Send invitation
users-invited-notice = Invitation sent to { $email }.
users-removed-notice = { $email } was removed.
users-remove-title = Remove { $name }?
users-remove-text = { $email } can no longer log in, their sessions end and the API tokens they made stop working. This cannot be undone.
users-remove-confirm = Remove the user
users-disable-title = Disable { $name }?
users-disable-text = { $email } can no longer log in and their sessions end. You can enable the account again later.
users-disable-confirm = Disable the user
users-cancel = Cancel
invitation-title = Your invitation
invitation-heading = Join { $organization }
invitation-text = Choose the password you will log in with as { $email }.
invitation-password = Password
invitation-password-help = At least 10 characters.
invitation-password-again = The same password again
invitation-button = Set my password
invitation-passwords-differ = The two passwords differ.
invitation-done-title = Your password is set
invitation-done-text = Log in with your email address and the password you chose.
invitation-spent-title = This link no longer works
invitation-spent-text = An invitation link works once, for { $days } days. Ask the person who invited you for a new invitation.
org-most-used = Most used
org-all = All
