# Henvisningsprogrammets jobs og mailskabeloner (Indstillinger → Skabeloner).
referrals-backdate-title = Send tidligere billetindehavere deres henvisningslinks: { $promotion }
referrals-backdate-started = Finder de tidligere billetindehavere…
referrals-backdate-progress = Tilmelder tidligere billetindehavere; { $mailed } mails med links i kø indtil nu
referrals-backdate-done = Færdig: { $mailed } mails med links i kø (indehavere uden mailtilladelse får ingen)
template-referral-link = Henvisninger: deltagerens links
template-referral-staff-tier = Henvisninger: belønninger nået (til personalet)
template-referral-staff-closed = Henvisninger: kampagnen er lukket (til personalet)
var-promotion-name = kampagnens navn
var-promotion-closes-at = hvornår kampagnen lukker, efter spillestedets ur
var-promotion-url = kampagnens side med belønningsoversigten
var-tiers = belønningerne: hver har billetter og belønning
var-tracking-link = deltagerens link til deling
var-progress-link = deltagerens private statusside (uden login)
var-rewards = de nåede belønninger: deltager, e-mail, trin, belønning og solgte billetter
var-totals = deltagere, billetter og omsætning i alt
var-leaderboard = de bedste deltagere med billetter, omsætning og klik
var-winners = de belønninger, der endnu skal udleveres
