# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
segments-actions-hint = Act on the customers counted above: every action uses the filters as they are set now and is written to the audit log.
segments-action-export = Export
segments-action-push = Push to Meta or a mail tool
segments-action-tag = Tag customers
segments-action-mail = Mail a campaign link
segments-action-audience = Make an audience
segments-chosen = What this action acts on
segments-chosen-customers = customers
segments-chosen-view = saved view “{ $view }”
segments-chosen-whole = the whole segment
segments-chosen-filters = { $count ->
    [one] with one filter
   *[other] with { $count } filters
}
segments-chosen-for = shown for { $name }
segments-audience-title = Make an audience
segments-audience-lead = Every customer of this view becomes a member of a new audience, bound to them: a loyalty campaign that targets the audience recognizes them when they buy, without a code.
segments-audience-name = Audience name
segments-audience-quantity = Uses per customer
segments-audience-quantity-help = How many tickets each customer may use the campaign for.
segments-audience-sync = Keep it in step with the view
segments-audience-sync-daily = Daily, and when I refresh it
segments-audience-sync-manual = Only when I refresh it
segments-audience-rule = A refresh adds the customers new to the view and removes those who left it, except a customer whose code a campaign has already used: they stay.
segments-audience-make = Make the audience of { $count } customers
segments-audience-fed = Audiences this segment feeds
segments-audience-none = No audience is made from this segment yet.
segments-audience-members = Members
segments-audience-last = Last refresh
segments-audience-never = not yet
segments-audience-refresh = Refresh now
segments-audience-added = { $count } added
segments-audience-removed = { $count } removed
segments-audience-kept-used = { $count } kept (code used)
segments-audience-job-title = Audience “{ $audience }” from a segment
segments-audience-job-reading = Reading the view’s customers…
segments-audience-job-writing = Writing { $customers } customers to the audience…
