-- An officer's own decisions of a day (the work screen, `decisions_since`)
-- read along an index: on a database of millions of events the scan it
-- replaces took seconds. Partial: only decisions are indexed, so claims,
-- releases and unbindings cost it nothing.
CREATE INDEX audit_decisions ON audit_events (officer, at)
    WHERE application_id IS NOT NULL
      AND action IN ('accept', 'not_accept', 'review_pass', 'review_reject', 'confirm_pass', 'confirm_reject');
