# Organisatorens web-UI, dansk.

## Layout og navigation
skip-to-content = Gå til indholdet
language = Sprog
log-in = Log ind
log-out = Log ud
nav-main = Hovednavigation
nav-coming = kommer
nav-promote = Markedsfør
nav-audiences = Målgrupper
nav-campaigns = Kampagner
nav-referrals = Henvisningsbelønninger
nav-customers-section = Kunder
nav-customers = Kunder
nav-segmentation = Segmentering
nav-sales = Salg
nav-events = Arrangementer
nav-intents = Købsintentioner
nav-operations = Drift
nav-jobs = Jobs
nav-outbox = Udbakke
nav-settings = Indstillinger
nav-organization = Organisation
nav-users = Brugere
nav-api-tokens = API-nøgler
nav-email = E-mail
nav-templates = Skabeloner
breadcrumb = Brødkrummesti
pager = Sider
next-page = Næste side
previous-page = Forrige side
search = Søg
save = Gem
saved = Gemt.
user-api-token = API-nøgle
go-to-start = Gå til forsiden
language-name-en = Engelsk
language-name-da = Dansk
language-name-fr = Fransk

## Log ind
login-title = Log ind
login-heading = Log ind på Fullhouse
login-several-orgs = Flere organisationer?
login-failed = E-mail eller adgangskode er forkert.
login-rate-limited = For mange mislykkede logins på denne konto. Prøv igen om { $minutes } min.
login-expired = Din loginformular er udløbet. Prøv igen.
login-choose-organization = Denne e-mail har konti i flere organisationer: angiv organisationens slug.
field-email = E-mail
field-password = Adgangskode
field-organization-slug = Organisation (slug)

## Forside
home-title = Forside
welcome = Velkommen, { $name }
home-lead = Her er det, der kommer, og det, der har kørt for nylig.
home-upcoming = Kommende arrangementer
home-all-events = Alle arrangementer
home-recent-jobs = Seneste jobs
home-all-jobs = Alle jobs

## Kolonner
col-name = Navn
col-status = Status
col-created = Oprettet
col-job = Job
col-progress = Fremskridt
col-started = Startet
col-duration = Varighed
col-result = Resultat
col-recipient = Modtager
col-subject = Emne
col-sent = Sendt
col-attempts = Forsøg
col-template = Skabelon
col-versions = Sprog
col-role = Rolle
col-last-login = Seneste login
col-actions = Handlinger

## Arrangementer
events-empty-upcoming = Ingen kommende arrangementer.

## Kunder
customers-search = Søg i kunder

## Jobs
jobs-title = Jobs
jobs-lead = Import, eksport og udsendelser kører i baggrunden. Deres fremskridt, resultater og fejl vises her.
jobs-empty = Ingen jobs endnu.
jobs-demo-title = Start et demojob
jobs-demo-text = Et demojob tæller bare langsomt. Det viser, hvordan jobs melder fremskridt, og ændrer ingen data.
jobs-demo-steps = Trin
jobs-demo-step-ms = Millisekunder pr. trin
jobs-demo-start = Start demojob
jobs-cancel = Annullér
jobs-cancelling = annullerer…
job-status-queued = I kø
job-status-running = Kører
job-status-succeeded = Fuldført
job-status-failed = Mislykket
job-status-cancelled = Annulleret

## Udbakke
outbox-title = Udbakke
outbox-lead = Alle beskeder, din organisation har sendt eller vil sende, nyeste først.
outbox-empty = Ingen beskeder endnu.
outbox-marketing = markedsføring
message-status-queued = I kø
message-status-sending = Sendes
message-status-sent = Sendt
message-status-failed = Mislykket
message-status-suppressed = Ikke sendt (intet samtykke)

## Skabeloner
templates-title = E-mailskabeloner
templates-lead = Hver besked findes på engelsk, dansk og fransk. Ret ordlyden; forhåndsvisningen viser resultatet med eksempelværdier.
templates-built-in = indbygget
templates-customized = tilpasset
templates-built-in-help = Dette er den indbyggede tekst. Når du gemmer, bliver den din organisations egen version.
templates-html = HTML-indhold
templates-text = Tekstindhold
templates-text-help = Lad feltet stå tomt for at udlede teksten af HTML'en.
templates-preview = Forhåndsvisning
templates-preview-html = Forhåndsvisning af HTML-beskeden
templates-variables = Variabler
templates-no-variables = Denne skabelon har ingen variabler.
template-job-finished = Job afsluttet
template-campaign-link = Kampagnelink
var-organization = organisationens navn
var-recipient = navnet på den person, der startede jobbet
var-job-title = hvad jobbet gjorde
var-job-status = fuldført, mislykket eller annulleret (succeeded, failed, cancelled)
var-job-error = hvorfor det mislykkedes (tom ved succes)
var-job-url = jobbets side
var-customer-first-name = kundens fornavn
var-customer-last-name = kundens efternavn
var-custom-text = teksten skrevet til denne udsendelse
var-campaign-url = linket til tilbuddet
var-unsubscribe-url = linket til afmelding med ét klik (tilføj det altid)

## Indstillinger: organisation
org-title = Organisation
org-slug-help = Slug'en identificerer organisationen ved login og kan ikke ændres.
org-language = Standardsprog
org-timezone = Tidszone
org-timezone-help = Datoer og tidspunkter vises i denne tidszone.
org-currency = Valuta

## Indstillinger: brugere
users-title = Brugere
users-you = dig
users-active = Aktiv
users-disabled = Deaktiveret
users-change-role = Skift
users-disable = Deaktivér
users-enable = Aktivér
users-not-yourself = Du kan ikke ændre din egen rolle eller deaktivere dig selv.
users-last-owner = Organisationens sidste ejer kan ikke nedgraderes, deaktiveres eller slettes. Gør først en anden bruger til ejer.
role-owner = Ejer
role-admin = Administrator
role-marketer = Marketingmedarbejder
role-box-office = Billetkontor
role-viewer = Læser

## Indstillinger: API-nøgler
tokens-title = API-nøgler
tokens-lead = Nøgler lader andre systemer bruge JSON-API'et på vegne af din organisation.
tokens-empty = Ingen API-nøgler.
tokens-prefix = Begynder med
tokens-last-used = Senest brugt
tokens-revoke = Tilbagekald
tokens-create = Opret en nøgle
tokens-create-button = Opret nøgle
tokens-created = Nøgle oprettet
tokens-shown-once = Kopiér nøglen nu: den vises kun denne ene gang.
tokens-secret = Nøgle

## Indstillinger: e-mail
email-title = E-mail
email-sender = Afsender
email-sender-name = Afsendernavn
email-sender-email = Afsenderens e-mail
email-reply-to = Svar til (valgfri)
email-transport = Levering
email-file-drop = Filaflevering (til afprøvning)
email-file-drop-help = Beskeder skrives som .eml-filer til
email-smtp = SMTP-server
email-host = Vært
email-port = Port
email-security = Sikkerhed
email-security-plain = Ingen (kun lokal relay)
email-username = Brugernavn
email-password-help = Lad feltet stå tomt for at beholde den gemte adgangskode.
email-test = Test forbindelsen
email-test-help = Tester de gemte indstillinger.
email-test-ok = Forbindelsen virker.
email-test-failed = Forbindelsen mislykkedes:

## Offentlige sider
not-found-text = Der er intet på denne adresse.
unsubscribe-title = Afmeld
unsubscribe-text = Tryk på knappen for ikke længere at modtage denne slags mails.
unsubscribe-button = Afmeld
unsubscribe-done-title = Du er afmeldt
unsubscribe-done-text = Du modtager ikke længere denne slags mails fra os.

## Fejl
error-title = Noget gik galt
error-not-found-title = Siden findes ikke
error-forbidden-title = Ikke tilladt
error-not-found = Ikke fundet: det findes ikke, eller det tilhører en anden organisation.
error-forbidden = Din rolle tillader ikke dette.
error-csrf = Formularen er udløbet. Genindlæs siden, og prøv igen.
error-unauthorized = Log venligst ind igen.
error-rate-limited = For mange forsøg. Vent et minut, og prøv igen.
error-internal = Noget gik galt hos os. Serverloggen har detaljerne.
error-invalid = Dette er ikke gyldigt
error-form = Ret venligst de markerede felter nedenfor.
error-required = Dette felt skal udfyldes.
error-email = Dette er ikke en e-mailadresse.
error-password-short = Adgangskoden skal være mindst 10 tegn lang.
error-currency = Brug en valutakode på tre bogstaver, f.eks. DKK eller EUR.
error-taken = Dette er allerede i brug.
error-timezone = Dette er ikke en tidszone; brug et navn som Europe/Copenhagen.
error-port = Brug et portnummer fra 1 til 65535.
error-number = Angiv et heltal inden for det tilladte interval.
error-role = Vælg en af de tilbudte roller.
error-role-not-allowed = Din rolle må ikke tildele eller ændre denne rolle.

# Indstillinger → Revisionslog.
nav-audit = Revisionslog
audit-title = Revisionslog
audit-lead = Hver eksport, overførsel, tagging, kampagnelink-mail, målgruppe lavet fra et segment, udlevering og sletning af kundedata: hvem, hvornår og hvilke kunder.
audit-show = Vis
audit-family-all = Alt
audit-family-segment = Segmenthandlinger
audit-family-customer = Udlevering og sletning af kundedata
audit-empty = Intet registreret endnu.
audit-when = Hvornår
audit-who = Hvem
audit-what = Hvad
audit-which = Segment og visning
audit-customers = Kunder
audit-file = Fil eller modtager
audit-filters = { $count ->
    [one] ét filter
   *[other] { $count } filtre
}
audit-job = job
audit-older = Ældre poster
audit-action-segment-exported = Eksporteret
audit-action-segment-pushed = Overført
audit-action-segment-tagged = Tagget
audit-action-segment-untagged = Tags fortrudt
audit-action-segment-mailed = Kampagnelink sendt
audit-action-segment-audience = Målgruppe lavet eller opdateret
audit-action-customer-exported = Kundedata udleveret
audit-action-customer-erased = Kunde slettet
jobs-open-result = Åbn resultatet
users-invited = Inviteret
users-remove = Fjern
users-invite = Invitér en bruger
users-invite-help = Personen får en mail med et link, hvor de selv vælger deres adgangskode. Linket virker én gang i 7 dage.
users-invite-language = Invitationens sprog
users-invite-button = Send invitation
users-invited-notice = Invitationen er sendt til { $email }.
users-removed-notice = { $email } er fjernet.
users-remove-title = Fjern { $name }?
users-remove-text = { $email } kan ikke længere logge ind, deres sessioner afsluttes, og de API-nøgler, de har oprettet, holder op med at virke. Det kan ikke fortrydes.
users-remove-confirm = Fjern brugeren
users-disable-title = Deaktivér { $name }?
users-disable-text = { $email } kan ikke længere logge ind, og deres sessioner afsluttes. Du kan aktivere kontoen igen senere.
users-disable-confirm = Deaktivér brugeren
users-cancel = Annullér
invitation-title = Din invitation
invitation-heading = Bliv en del af { $organization }
invitation-text = Vælg den adgangskode, du vil logge ind med som { $email }.
invitation-password = Adgangskode
invitation-password-help = Mindst 10 tegn.
invitation-password-again = Den samme adgangskode igen
invitation-button = Gem min adgangskode
invitation-passwords-differ = De to adgangskoder er forskellige.
invitation-done-title = Din adgangskode er gemt
invitation-done-text = Log ind med din e-mailadresse og den adgangskode, du valgte.
invitation-spent-title = Dette link virker ikke længere
invitation-spent-text = Et invitationslink virker én gang i { $days } dage. Bed den, der inviterede dig, om en ny invitation.
org-most-used = Mest brugte
org-all = Alle
