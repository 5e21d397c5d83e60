"""The SLA admin screens, driven as a support manager would: through the add and change forms."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from caseway.cases.tests.factories import CaseFactory, QueueFactory
from caseway.sla.models import (
    BusinessCalendar,
    Entitlement,
    SlaAction,
    SlaInstance,
    SlaPolicy,
    SlaTarget,
)
from caseway.sla.tests.factories import (
    BusinessCalendarFactory,
    EntitlementFactory,
    SlaPolicyFactory,
    add_targets,
)

pytestmark = pytest.mark.django_db


def inline(prefix: str, rows: list[dict[str, object]], *, initial: int = 0) -> dict[str, object]:
    """The POST data of an inline formset: its management form and one row per dict."""
    data: dict[str, object] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def calendar_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Berlin office",
        "timezone": "Europe/Berlin",
        **inline(
            "hours",
            [
                {"weekday": "0", "opens_at": "09:00", "closes_at": "12:00"},
                {"weekday": "0", "opens_at": "13:00", "closes_at": "17:00"},
                {"weekday": "4", "opens_at": "09:00", "closes_at": "00:00"},
            ],
        ),
        **inline("holidays", [{"date": "2026-12-25", "name": "Christmas"}]),
    }
    data.update(changes)
    return data


def policy_data(*, calendar: BusinessCalendar | None, queue_id: object) -> dict[str, object]:
    return {
        "name": "Gold",
        "description": "For gold customers.",
        "calendar": str(calendar.pk) if calendar else "",
        "pause_when_waiting": "on",
        "reopen_restarts": "resolution",
        "channels": ["sms", "email"],
        "priorities": ["urgent", "high"],
        **inline(
            "targets",
            [
                {
                    "kpi": "first_response",
                    "priority": "",
                    "tier": "preferred",
                    "target_minutes": "30",
                    "warn_before_minutes": "10",
                },
                {
                    "kpi": "first_response",
                    "priority": "",
                    "tier": "",
                    "target_minutes": "60",
                    "warn_before_minutes": "15",
                },
                {
                    "kpi": "resolution",
                    "priority": "urgent",
                    "tier": "",
                    "target_minutes": "480",
                    "warn_before_minutes": "60",
                },
            ],
        ),
        **inline(
            "actions",
            [
                {"kpi": "", "moment": "warning", "kind": "notify", "queue": ""},
                {
                    "kpi": "resolution",
                    "moment": "breach",
                    "kind": "move_queue",
                    "queue": str(queue_id),
                },
            ],
        ),
    }


def entitlement_data(*, account_id: int, policy_id: int, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Globex support pack",
        "account": str(account_id),
        "contact": "",
        "is_active": "on",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "policy": str(policy_id),
        "term": "cases",
        "total": "50",
        "remaining": "0",
        "decrement_on": "creation",
        "on_exhausted": "block",
        "channels": ["email", "portal"],
        "products": " Router X1, Mesh kit ,, Router X1",
    }
    data.update(changes)
    return data


def errors_of(response) -> str:
    """Every error message the admin page shows, main form and inlines."""
    assert response.status_code == 200, "expected the form again, with errors"
    messages = [str(e) for e in response.context["errors"]]
    for formset in response.context["inline_admin_formsets"]:
        messages += [str(e) for e in formset.formset.non_form_errors()]
        messages += [str(e) for form_errors in formset.formset.errors for e in form_errors.values()]
    return " ".join(messages)


class TestAddThroughTheForms:
    def test_calendar_with_hours_and_a_holiday(self, admin_client):
        response = admin_client.post("/admin/sla/businesscalendar/add/", calendar_data())

        assert response.status_code == 302
        calendar = BusinessCalendar.objects.get(name="Berlin office")
        assert calendar.timezone == "Europe/Berlin"
        hours = [(h.weekday, f"{h.opens_at:%H:%M}", f"{h.closes_at:%H:%M}")
                 for h in calendar.hours.all()]  # fmt: skip
        assert hours == [(0, "09:00", "12:00"), (0, "13:00", "17:00"), (4, "09:00", "00:00")]
        assert [(h.date, h.name) for h in calendar.holidays.all()] == [
            (datetime.date(2026, 12, 25), "Christmas")
        ]

    def test_calendar_form_offers_timezones_sorted(self, admin_client):
        response = admin_client.get("/admin/sla/businesscalendar/add/")

        choices = [
            value for value, _ in response.context["adminform"].form["timezone"].field.choices
        ]
        assert "Europe/Berlin" in choices
        assert choices == sorted(choices)

    def test_policy_with_targets_and_actions(self, admin_client):
        calendar = BusinessCalendarFactory()
        escalations = QueueFactory(name="Escalations", slug="escalations")

        response = admin_client.post(
            "/admin/sla/slapolicy/add/", policy_data(calendar=calendar, queue_id=escalations.pk)
        )

        assert response.status_code == 302
        policy = SlaPolicy.objects.get(name="Gold")
        assert policy.calendar == calendar
        # Kept in the order of the choices, whatever order the browser sent.
        assert policy.channels == ["email", "sms"]
        assert policy.priorities == ["high", "urgent"]
        assert set(policy.targets.values_list("kpi", "tier", "target_minutes")) == {
            ("first_response", "preferred", 30),
            ("first_response", "", 60),
            ("resolution", "", 480),
        }
        assert set(policy.actions.values_list("moment", "kind", "queue")) == {
            ("warning", "notify", None),
            ("breach", "move_queue", escalations.pk),
        }

    def test_policy_without_calendar_runs_24x7(self, admin_client):
        response = admin_client.post(
            "/admin/sla/slapolicy/add/",
            {**policy_data(calendar=None, queue_id=QueueFactory().pk), "channels": []},
        )

        assert response.status_code == 302
        policy = SlaPolicy.objects.get(name="Gold")
        assert policy.calendar is None
        assert policy.channels == []

    def test_entitlement_starts_with_everything_granted(self, admin_client, account):
        policy = SlaPolicyFactory()

        response = admin_client.post(
            "/admin/sla/entitlement/add/",
            entitlement_data(account_id=account.pk, policy_id=policy.pk),
        )

        assert response.status_code == 302
        contract = Entitlement.objects.get(name="Globex support pack")
        assert contract.account == account
        assert (contract.total, contract.remaining) == (Decimal(50), Decimal(50))
        assert contract.channels == ["email", "portal"]
        assert contract.products == ["Router X1", "Mesh kit"]

    def test_entitlement_keeps_a_remaining_that_was_given(self, admin_client, account):
        response = admin_client.post(
            "/admin/sla/entitlement/add/",
            entitlement_data(
                account_id=account.pk, policy_id=SlaPolicyFactory().pk, remaining="20"
            ),
        )

        assert response.status_code == 302
        assert Entitlement.objects.get(name="Globex support pack").remaining == Decimal(20)

    def test_entitlement_change_form_shows_products_as_text(self, admin_client, account):
        admin_client.post(
            "/admin/sla/entitlement/add/",
            entitlement_data(account_id=account.pk, policy_id=SlaPolicyFactory().pk),
        )
        contract = Entitlement.objects.get(name="Globex support pack")

        response = admin_client.get(f"/admin/sla/entitlement/{contract.pk}/change/")

        assert response.status_code == 200
        assert 'value="Router X1, Mesh kit"' in response.content.decode()


class TestInvalidInputShowsErrors:
    def test_hours_that_close_before_they_open(self, admin_client):
        data = calendar_data(**{"hours-1-opens_at": "17:00", "hours-1-closes_at": "13:00"})

        response = admin_client.post("/admin/sla/businesscalendar/add/", data)

        assert "An interval must close after it opens." in errors_of(response)
        assert not BusinessCalendar.objects.filter(name="Berlin office").exists()

    def test_unknown_timezone(self, admin_client):
        response = admin_client.post(
            "/admin/sla/businesscalendar/add/", calendar_data(timezone="Mars/Olympus_Mons")
        )

        assert "Mars/Olympus_Mons" in errors_of(response)

    def test_hours_contract_counted_at_creation(self, admin_client, account):
        data = entitlement_data(
            account_id=account.pk, policy_id=SlaPolicyFactory().pk, term="hours"
        )

        response = admin_client.post("/admin/sla/entitlement/add/", data)

        assert "Hours are counted from time logged, so at resolution." in errors_of(response)
        assert not Entitlement.objects.filter(name="Globex support pack").exists()

    def test_contract_without_a_customer(self, admin_client):
        data = entitlement_data(account_id=0, policy_id=SlaPolicyFactory().pk, account="")

        response = admin_client.post("/admin/sla/entitlement/add/", data)

        assert "A contract belongs to an account or a contact." in errors_of(response)

    def test_contract_that_ends_before_it_starts(self, admin_client, account):
        data = entitlement_data(
            account_id=account.pk, policy_id=SlaPolicyFactory().pk, ends_on="2025-06-30"
        )

        response = admin_client.post("/admin/sla/entitlement/add/", data)

        assert "A contract cannot end before it starts." in errors_of(response)

    def test_move_queue_action_without_a_queue(self, admin_client):
        response = admin_client.post(
            "/admin/sla/slapolicy/add/", policy_data(calendar=None, queue_id="")
        )

        assert "Choose the queue to move the case to." in errors_of(response)
        assert not SlaPolicy.objects.filter(name="Gold").exists()

    def test_the_same_target_twice(self, admin_client):
        data = policy_data(calendar=None, queue_id=QueueFactory().pk)
        data["targets-1-tier"] = "preferred"  # now equal to row 0

        response = admin_client.post("/admin/sla/slapolicy/add/", data)

        assert "correct the duplicate" in errors_of(response).lower()


def change_form_data(response) -> dict[str, object]:
    """What the browser would send back unchanged from a change form."""
    data: dict[str, object] = {}

    def add(form) -> None:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[field.html_name] = value

    add(response.context["adminform"].form)
    for inline_formset in response.context["inline_admin_formsets"]:
        formset = inline_formset.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


class TestEditingMarksPoliciesChanged:
    def test_editing_a_target_bumps_the_policy_version(self, admin_client):
        policy = add_targets(SlaPolicyFactory(), first_response=60)
        url = f"/admin/sla/slapolicy/{policy.pk}/change/"
        data = change_form_data(admin_client.get(url))
        data["targets-0-target_minutes"] = "45"

        response = admin_client.post(url, data)

        assert response.status_code == 302
        policy.refresh_from_db()
        assert policy.version == 2
        assert SlaTarget.objects.get(policy=policy).target_minutes == 45

    def test_saving_without_a_change_keeps_the_version(self, admin_client):
        policy = add_targets(SlaPolicyFactory(), first_response=60)
        url = f"/admin/sla/slapolicy/{policy.pk}/change/"

        response = admin_client.post(url, change_form_data(admin_client.get(url)))

        assert response.status_code == 302
        policy.refresh_from_db()
        assert policy.version == 1

    def test_deleting_an_action_bumps_the_policy_version(self, admin_client):
        policy = SlaPolicyFactory()
        SlaAction.objects.create(policy=policy, moment="breach", kind="notify")
        url = f"/admin/sla/slapolicy/{policy.pk}/change/"
        data = change_form_data(admin_client.get(url))
        data["actions-0-DELETE"] = "on"

        admin_client.post(url, data)

        policy.refresh_from_db()
        assert policy.version == 2
        assert not policy.actions.exists()

    def test_a_holiday_bumps_every_policy_on_the_calendar(self, admin_client):
        calendar = BusinessCalendarFactory()
        on_it = SlaPolicyFactory(calendar=calendar)
        elsewhere = SlaPolicyFactory()
        url = f"/admin/sla/businesscalendar/{calendar.pk}/change/"
        data = change_form_data(admin_client.get(url))
        data.update(
            {
                "holidays-TOTAL_FORMS": "1",
                "holidays-0-date": "2026-05-01",
                "holidays-0-name": "May Day",
            }
        )

        response = admin_client.post(url, data)

        assert response.status_code == 302
        assert calendar.holidays.get().name == "May Day"
        on_it.refresh_from_db()
        elsewhere.refresh_from_db()
        assert (on_it.version, elsewhere.version) == (2, 1)


class TestReadOnlyScreens:
    def test_timers_are_listed_and_found_by_case_number(self, admin_client):
        policy = SlaPolicyFactory()
        now = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
        cases = [CaseFactory(), CaseFactory()]
        for case in cases:
            SlaInstance.objects.create(
                case=case, policy=policy, kpi="first_response", target_seconds=3600,
                warn_seconds=3000, started_at=now, warn_at=now, due_at=now,
            )  # fmt: skip

        listed = admin_client.get("/admin/sla/slainstance/")
        found = admin_client.get("/admin/sla/slainstance/", {"q": cases[1].number})

        assert listed.status_code == 200
        assert {t.case_id for t in listed.context["cl"].result_list} == {c.pk for c in cases}
        assert [t.case_id for t in found.context["cl"].result_list] == [cases[1].pk]
        timer = SlaInstance.objects.first()
        change = admin_client.get(f"/admin/sla/slainstance/{timer.pk}/change/")
        assert change.status_code == 200
        assert b'name="_save"' not in change.content  # nothing to save: read only

    @pytest.mark.parametrize(
        "path",
        [
            "/admin/sla/businesscalendar/",
            "/admin/sla/slapolicy/",
            "/admin/sla/entitlement/",
            "/admin/cases/notification/",
            "/admin/sla/slainstance/?kpi__exact=resolution&status__exact=breached",
        ],
    )
    def test_lists_render(self, admin_client, path):
        assert admin_client.get(path).status_code == 200

    def test_default_entitlement_cannot_be_deleted(self, admin_client):
        default = Entitlement.objects.get(is_default=True)

        response = admin_client.get(f"/admin/sla/entitlement/{default.pk}/delete/")

        assert response.status_code == 403

    def test_bulk_delete_refuses_the_default_entitlement(self, admin_client, account):
        contract = EntitlementFactory(account=account)
        default = Entitlement.objects.get(is_default=True)

        response = admin_client.post(
            "/admin/sla/entitlement/",
            {"action": "delete_selected", "_selected_action": [default.pk, contract.pk],
             "post": "yes"},
        )  # fmt: skip

        assert response.status_code == 403
        assert Entitlement.objects.filter(pk__in=[default.pk, contract.pk]).count() == 2

    def test_queue_admin_edits_supervisors(self, admin_client, default_queue):
        response = admin_client.get(f"/admin/cases/queue/{default_queue.pk}/change/")

        assert 'name="supervisors"' in response.content.decode()
