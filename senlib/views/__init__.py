"""Views: one read-model per page (Overview, Caseload, Pupil, Progress, Compliance, Upcoming, Escalations, Governors)."""
