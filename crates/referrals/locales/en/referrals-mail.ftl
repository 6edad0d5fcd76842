# The referral programme's jobs and mail templates (Settings → Templates).
referrals-backdate-title = Mail earlier ticket holders their referral links: { $promotion }
referrals-backdate-started = Finding the earlier ticket holders…
referrals-backdate-progress = Enrolling earlier ticket holders; { $mailed } link mails queued so far
referrals-backdate-done = Done: { $mailed } link mails queued (holders without email permission get none)
template-referral-link = Referrals: the participant's links
template-referral-staff-tier = Referrals: rewards reached (to staff)
template-referral-staff-closed = Referrals: promotion closed (to staff)
var-promotion-name = the promotion's name
var-promotion-closes-at = when the promotion closes, on the venue's clock
var-promotion-url = the promotion's page, with the reward ledger
var-tiers = the rewards: each has tickets and reward
var-tracking-link = the participant's link to share
var-progress-link = the participant's private progress page (no login)
var-rewards = the rewards reached: participant, email, tier, reward and tickets sold
var-totals = participants, tickets and revenue in all
var-leaderboard = the best participants with their tickets, revenue and clicks
var-winners = the rewards still to fulfil
