# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
segments-actions = Actions
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
