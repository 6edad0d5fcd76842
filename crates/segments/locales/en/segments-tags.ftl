# Segment actions: tags (seed 002). Owned by the tags pages and jobs.
segments-tags-title = Tag customers
segments-tags-lead = Adds a tag to every customer of this view. Customers who have the tag already keep it as it is, and an undo removes the tag only from the customers this action gave it to.
segments-tags-tag = Tag
segments-tags-tag-help = A new or existing tag: letters a–z, digits, - and _ (capitals become small letters).
segments-tags-apply = Tag { $count } customers
segments-tags-existing = Tags now
segments-tags-none = No customer has a tag yet.
segments-tags-in-selection = In this view
segments-tags-in-all = All customers
segments-tags-past = Earlier tag actions on this segment
segments-tags-no-past = This segment has not been tagged yet.
segments-tags-when = Started
segments-tags-added = Tagged
segments-tags-removed = Untagged by undo
segments-tags-status = Status
segments-tags-status-tagging = tagging…
segments-tags-status-tagged = done
segments-tags-status-undoing = undoing…
segments-tags-status-undone = undone
segments-tags-undo = Undo
segments-tags-job-title = Tag “{ $tag }” on a segment’s customers
segments-tags-undo-job-title = Undo the tag “{ $tag }”
segments-tags-job-nothing = Nothing to tag: the action was undone.
segments-tags-job-started = Reading the view’s customers…
segments-tags-job-progress = { $customers } customers gone through…
segments-tags-job-done = { $added ->
    [one] One customer tagged (the others had the tag already).
   *[other] { $added } customers tagged (those who had the tag already are left as they were).
}
segments-tags-undo-started = Removing the tag from the customers it was added to…
segments-tags-undo-progress = { $customers } customers gone through…
segments-tags-undo-done = { $removed ->
    [one] The tag was removed from one customer.
   *[other] The tag was removed from { $removed } customers.
}
