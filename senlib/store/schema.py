"""Schema of the store, as numbered migrations applied in order on open.

A migration is never edited once released: add a new one. Each runs in its own
transaction together with the bump of `schema_version`.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "caseload entities, imports and audit",
        """
        CREATE TABLE settings (
            setting         VARCHAR PRIMARY KEY,
            phase           VARCHAR,          -- names.SETTING_PHASES
            local_authority VARCHAR            -- the council the setting sits in
        );
        CREATE TABLE pupils (
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,  -- UPN or the setting's own id
            first_name      VARCHAR,
            last_name       VARCHAR,
            date_of_birth   DATE,
            year_group      VARCHAR,           -- names.YEAR_GROUPS, as recorded
            class           VARCHAR,
            sen_status      VARCHAR,           -- N / K / E
            primary_need    VARCHAR,           -- census code
            secondary_need  VARCHAR,
            local_authority VARCHAR,           -- council maintaining an EHCP
            key_worker      VARCHAR,
            date_identified DATE,
            leaving_date    DATE,
            extra           JSON,              -- tracker columns the product does not know
            import_id       BIGINT,            -- import that last wrote the row (NULL: demo)
            updated_at      TIMESTAMP DEFAULT current_timestamp,
            PRIMARY KEY (setting, pupil_id)
        );
        CREATE TABLE plans (
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            plan_type       VARCHAR NOT NULL,  -- names.PLAN_TYPES
            start_date      DATE,              -- for an EHCP: the date the plan was issued
            end_date        DATE,
            local_authority VARCHAR,
            import_id       BIGINT
        );
        CREATE TABLE reviews (
            setting            VARCHAR NOT NULL,
            pupil_id           VARCHAR NOT NULL,
            plan_type          VARCHAR,
            review_date        DATE NOT NULL,  -- date held, or scheduled date if not held yet
            held               BOOLEAN NOT NULL DEFAULT TRUE,
            kind               VARCHAR,        -- names.REVIEW_KINDS
            invitations_sent   DATE,
            reports_received   DATE,
            parent_attended    BOOLEAN,        -- attended or contributed
            child_contributed  BOOLEAN,
            progress           VARCHAR,        -- names.PROGRESS; NULL: derive from scores
            decision           VARCHAR,        -- names.DECISIONS
            next_review_date   DATE,
            report_sent        DATE,           -- EHCP: review report sent to the council
            la_decision_date   DATE,           -- EHCP: council decision maintain/amend/cease
            pfa_covered        BOOLEAN,        -- EHCP from Year 9: preparing for adulthood covered
            notes              VARCHAR,
            import_id          BIGINT
        );
        CREATE TABLE outcomes (
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            outcome_id      VARCHAR NOT NULL,
            area            VARCHAR,           -- names.AREAS
            description     VARCHAR,
            baseline        DOUBLE,
            target          DOUBLE,
            scale_min       DOUBLE DEFAULT 0,
            scale_max       DOUBLE DEFAULT 10,
            start_date      DATE,
            target_date     DATE,
            status          VARCHAR,           -- names.OUTCOME_STATUS
            import_id       BIGINT
        );
        CREATE TABLE scores (
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            outcome_id      VARCHAR NOT NULL,
            score_date      DATE NOT NULL,
            score           DOUBLE NOT NULL,
            import_id       BIGINT
        );
        CREATE TABLE ehc_requests (
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            requested       DATE NOT NULL,
            decision_date   DATE,
            decision        VARCHAR,           -- names.EHC_DECISIONS
            final_plan_date DATE,
            local_authority VARCHAR,
            import_id       BIGINT
        );
        CREATE SEQUENCE import_ids START 1;
        CREATE TABLE imports (
            import_id       BIGINT PRIMARY KEY DEFAULT nextval('import_ids'),
            created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
            user_name       VARCHAR,
            file_name       VARCHAR,
            file_sha256     VARCHAR,
            file_bytes      BLOB,
            setting         VARCHAR,
            status          VARCHAR NOT NULL DEFAULT 'done',   -- done / undone
            summary         JSON,              -- what was added and changed
            warnings        JSON,
            undone_at       TIMESTAMP
        );
        CREATE TABLE pupil_changes (          -- before-images, so an import can be undone
            import_id       BIGINT NOT NULL,
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            field           VARCHAR NOT NULL,
            old_value       VARCHAR,
            new_value       VARCHAR
        );
        CREATE TABLE audit (
            logged_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
            user_name       VARCHAR,
            action          VARCHAR NOT NULL,  -- sign_in, import, undo, rule_change, export, restore, demo
            detail          JSON
        );
        """,
    ),
    (
        2,
        "rule overrides per setting and local authority",
        """
        CREATE TABLE rule_overrides (         -- senlib.rules: a setting's own values for the default policy
            setting         VARCHAR NOT NULL,  -- '' = every setting
            local_authority VARCHAR NOT NULL,  -- '' = every local authority
            rule_id         VARCHAR NOT NULL,  -- id in senlib/rules/policy.toml
            param           VARCHAR NOT NULL,
            value           JSON NOT NULL,
            changed_by      VARCHAR,
            changed_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (setting, local_authority, rule_id, param)
        );
        """,
    ),
    (
        3,
        "import: remembered column mappings and before-images of non-pupil rows",
        """
        CREATE TABLE import_mappings (        -- a SENCo's column mapping, reused for the next file with the same headers
            signature       VARCHAR PRIMARY KEY,  -- hash of the sheet's normalised headers
            headers         JSON NOT NULL,        -- the headers, in sheet order
            mapping         JSON NOT NULL,        -- header -> canonical field ("" = keep as extra, "-" = ignore)
            entity          VARCHAR,
            updated_at      TIMESTAMP DEFAULT current_timestamp
        );
        CREATE TABLE import_row_changes (     -- before-images of plans/reviews/outcomes/scores/ehc_requests rows an import updated
            import_id       BIGINT NOT NULL,
            table_name      VARCHAR NOT NULL,
            before          JSON NOT NULL
        );
        """,
    ),
    (
        4,
        "nightly backups kept by the dashboard: the schedule and its runs",
        """
        CREATE TABLE backup_schedule (        -- senlib.store.backup_schedule: one row, the SENCo's choice
            id              INTEGER PRIMARY KEY CHECK (id = 1),
            enabled         BOOLEAN NOT NULL DEFAULT FALSE,
            folder          VARCHAR,           -- where backups are written (an absolute path)
            keep            INTEGER NOT NULL DEFAULT 14,   -- how many of our backups to keep there
            hour            INTEGER NOT NULL DEFAULT 2,    -- local hour of day to run (0-23)
            changed_by      VARCHAR,
            changed_at      TIMESTAMP
        );
        CREATE SEQUENCE backup_run_ids START 1;
        CREATE TABLE backup_runs (            -- every backup the schedule (or 'Run a backup now') made or failed to make
            run_id          BIGINT PRIMARY KEY DEFAULT nextval('backup_run_ids'),
            started         TIMESTAMP NOT NULL,  -- local time
            finished        TIMESTAMP,           -- NULL: did not finish (the dashboard stopped during the run)
            trigger         VARCHAR NOT NULL,    -- schedule / manual
            user_name       VARCHAR,
            file            VARCHAR,             -- full path of the backup written
            bytes           BIGINT,
            error           VARCHAR              -- NULL: the run succeeded
        );
        """,
    ),
    (
        5,
        "import: the fields each import's sheets carry, per setting (DESIGN §4: not tracked is not not done)",
        """
        CREATE TABLE import_fields (          -- a field is tracked by a setting when an import in force had a column for it
            import_id       BIGINT NOT NULL,
            setting         VARCHAR NOT NULL,
            entity          VARCHAR NOT NULL,  -- store table the column feeds: pupils, plans, reviews, outcomes, ...
            field           VARCHAR NOT NULL,  -- store column, e.g. report_sent
            PRIMARY KEY (import_id, setting, entity, field)
        );
        """,
    ),
    (
        6,
        "governors' report: the SENCo's commentary, per set of settings the report covers",
        """
        CREATE TABLE governor_commentary (    -- senlib.store.commentary: checked to name no pupil when saved and when shown
            scope           VARCHAR PRIMARY KEY,  -- the report's settings, sorted, ' | ' between them
            text            VARCHAR NOT NULL,
            written_by      VARCHAR,
            written_at      TIMESTAMP
        );
        """,
    ),
    (
        7,
        "provision: interventions, each pupil's place on them, and each setting's hourly cost of staff by role",
        """
        CREATE TABLE provisions (             -- an intervention a setting runs (DESIGN §4: the "do" of assess-plan-do-review)
            setting             VARCHAR NOT NULL,
            provision_id        VARCHAR NOT NULL,  -- the setting's own id, e.g. P1
            name                VARCHAR,
            areas               VARCHAR,           -- one or more names.AREAS, names.AREAS_SEPARATOR between them
            kind                VARCHAR,           -- names.PROVISION_KINDS
            delivered_by        VARCHAR,           -- names.STAFF_ROLES
            group_size          DOUBLE,
            sessions_per_week   DOUBLE,
            minutes_per_session DOUBLE,
            weeks_per_year      DOUBLE,            -- NULL: the default (38)
            hourly_cost         DOUBLE,            -- NULL: the setting's cost of the role (role_costs)
            fixed_cost          DOUBLE,            -- a year: resources, licences, an external specialist's fee
            start_date          DATE,
            end_date            DATE,
            measure             VARCHAR,           -- names.PROVISION_MEASURES: what entry and exit scores are on
            expected_gain       DOUBLE,            -- exit minus entry expected, on the measure
            notes               VARCHAR,
            import_id           BIGINT
        );
        CREATE TABLE pupil_provisions (       -- a pupil's place on an intervention
            setting             VARCHAR NOT NULL,
            pupil_id            VARCHAR NOT NULL,
            provision_id        VARCHAR NOT NULL,
            start_date          DATE,
            end_date            DATE,              -- NULL: still on it
            entry_score         DOUBLE,
            entry_date          DATE,
            exit_score          DOUBLE,
            exit_date           DATE,
            sessions_attended   DOUBLE,
            sessions_planned    DOUBLE,
            notes               VARCHAR,
            import_id           BIGINT
        );
        CREATE TABLE role_costs (             -- senlib.store.role_costs: a setting's hourly cost of staff, by role
            setting             VARCHAR NOT NULL,
            role                VARCHAR NOT NULL,  -- names.STAFF_ROLES
            hourly_cost         DOUBLE NOT NULL,
            changed_by          VARCHAR,
            changed_at          TIMESTAMP,
            PRIMARY KEY (setting, role)
        );
        """,
    ),
    (
        8,
        "review meetings: a review scheduled and recorded in the app, its invitees, its actions; the setting's letters",
        """
        -- a review scheduled or recorded in the app (or through its record workbook) carries its own id
        ALTER TABLE reviews ADD COLUMN review_id VARCHAR;      -- e.g. R-3F9A2C71; NULL: a review known only from a tracker
        ALTER TABLE reviews ADD COLUMN start_time VARCHAR;     -- HH:MM
        ALTER TABLE reviews ADD COLUMN place VARCHAR;
        ALTER TABLE reviews ADD COLUMN chair VARCHAR;
        ALTER TABLE reviews ADD COLUMN parents_views VARCHAR;
        ALTER TABLE reviews ADD COLUMN child_views VARCHAR;
        ALTER TABLE reviews ADD COLUMN attendance DOUBLE;      -- the pupil's school attendance (%) reported at the review
        ALTER TABLE reviews ADD COLUMN notice_warning VARCHAR; -- why it was scheduled with less than the statutory notice
        ALTER TABLE imports ADD COLUMN origin VARCHAR DEFAULT 'upload';  -- names.IMPORT_ORIGINS: upload / app
        CREATE TABLE review_invitees (        -- who is invited to a review meeting (guidance 001)
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            review_id       VARCHAR NOT NULL,
            invitee_id      VARCHAR NOT NULL,  -- I1, I2 ... within the review
            name            VARCHAR,
            role            VARCHAR,           -- names.INVITEE_ROLES
            organisation    VARCHAR,
            contact         VARCHAR,           -- email, phone or address
            response        VARCHAR,           -- names.INVITEE_RESPONSES; NULL: not heard yet
            invited_on      DATE,
            report_received DATE,
            attended        BOOLEAN,           -- recorded after the meeting
            import_id       BIGINT
        );
        CREATE TABLE review_actions (         -- what a review agreed will happen next: what, who, by when
            setting         VARCHAR NOT NULL,
            pupil_id        VARCHAR NOT NULL,
            review_id       VARCHAR NOT NULL,
            action_id       VARCHAR NOT NULL,  -- A1, A2 ... within the review
            action          VARCHAR,
            owner           VARCHAR,
            due_date        DATE,
            done_date       DATE,
            import_id       BIGINT
        );
        CREATE TABLE document_templates (     -- a setting's own wording of a review document (senlib.documents)
            setting         VARCHAR NOT NULL,  -- '' = every setting
            document        VARCHAR NOT NULL,  -- names.REVIEW_DOCUMENTS
            file_name       VARCHAR,
            docx            BLOB NOT NULL,
            placeholders    JSON,              -- the placeholders it uses, checked when uploaded
            uploaded_by     VARCHAR,
            uploaded_at     TIMESTAMP,
            PRIMARY KEY (setting, document)
        );
        """,
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]
