"""The recording rule form finds its member from typed words (part of a name or number), not from
a list of every member: as the admin types (htmx), and without JavaScript when the form is sent."""

import pytest
from django.urls import reverse
from django.utils import translation

from members.models import Member
from recordings.models import RecordingRule
from recordings.rule_members import CANDIDATES_SHOWN, member_label, member_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def people():
    names = {
        "Ann Lee": "+8613900000001",
        "Anna Zhou": "+8613900000002",
        "Joanne Wu": "+8613900000003",
        "Bo Chen": "+8613911112222",
    }
    return {name: Member.objects.create(name=name, phone_number=n) for name, n in names.items()}


def _add(client, member_text, **extra):
    data = {"scope": "member", "member": member_text, "record": "1", **extra}
    return client.post(reverse("recording-rule-list"), data)


def test_part_of_a_name_that_one_member_has_saves_their_rule(staff_client, people):
    response = _add(staff_client, "chen")

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == people["Bo Chen"]


def test_part_of_a_number_finds_the_member(staff_client, people):
    response = _add(staff_client, "1111 2222")

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == people["Bo Chen"]


def test_a_whole_name_wins_over_longer_names_holding_it(staff_client, people):
    response = _add(staff_client, "ann lee")

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == people["Ann Lee"]


def test_words_several_members_match_come_back_with_them_to_pick(staff_client, people):
    response = _add(staff_client, "ann")

    page = response.content.decode()
    assert response.status_code == 400
    assert "3 members match “ann”" in page
    assert page.count('name="member_pick"') == 3
    assert "Bo Chen" not in page
    assert not RecordingRule.objects.exists()


def test_a_member_picked_among_them_is_saved(staff_client, people):
    picked = people["Joanne Wu"]

    response = _add(staff_client, "ann", member_pick=str(picked.pk))

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == picked


@pytest.mark.parametrize("text", ["nobody", "x", "139 9999 9999"])
def test_words_no_member_matches_are_an_error_next_to_the_field(staff_client, people, text):
    response = _add(staff_client, text)

    page = response.content.decode()
    assert response.status_code == 400
    assert f"No member matches “{text}”" in page
    assert 'class="field-error" id="id_member_error"' in page
    assert not RecordingRule.objects.exists()


def test_a_removed_member_is_not_found(staff_client, people):
    Member.objects.filter(pk=people["Bo Chen"].pk).update(status="removed")

    assert _add(staff_client, "Bo Chen").status_code == 400
    assert _add(staff_client, "x", member_pick=str(people["Bo Chen"].pk)).status_code == 400
    assert not RecordingRule.objects.exists()


def test_a_pick_left_checked_under_other_words_is_not_taken(staff_client, people):
    """ "Ann" typed, Joanne Wu picked, then the words changed to "Bo Chen" (faster than the
    search, or without JavaScript, where the radio stays checked): the words are meant."""
    response = _add(staff_client, "Bo Chen", member_pick=str(people["Joanne Wu"].pk))

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == people["Bo Chen"]


@pytest.mark.parametrize("pick", ["", "abc", "999999", "-1", "1" * 40, "²", "1\x00"])
def test_a_bad_pick_falls_back_to_the_words(staff_client, people, pick):
    response = _add(staff_client, "Bo Chen", member_pick=pick)

    assert response.status_code == 302
    assert RecordingRule.objects.get().member == people["Bo Chen"]


def test_the_edit_form_shows_the_member_by_label_and_saves_unchanged(staff_client, people):
    rule = RecordingRule.objects.create(scope="member", member=people["Anna Zhou"], record=True)
    url = reverse("recording-rule-edit", args=[rule.pk])

    page = staff_client.get(url).content.decode()
    label = member_label(people["Anna Zhou"])
    saved = staff_client.post(url, {"scope": "member", "member": label, "record": "0"})

    assert label == "Anna Zhou (139 0000 0002)"
    assert f'value="{label}"' in page
    assert "<select" not in page.split('name="member"')[0].rsplit("<label", 1)[1]
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.member, rule.record) == (people["Anna Zhou"], False)


def test_member_words_are_ignored_for_another_scope(staff_client, people):
    response = staff_client.post(
        reverse("recording-rule-list"), {"scope": "enterprise", "member": "nobody", "record": "1"}
    )

    assert response.status_code == 302
    assert RecordingRule.objects.get().member is None


def test_the_search_lists_a_few_matching_members_for_htmx(staff_client, people):
    url = reverse("recording-rule-members")

    some = staff_client.get(url, {"member": "an"}).content.decode()
    one = staff_client.get(url, {"member": "2222"}).content.decode()
    short = staff_client.get(url, {"member": "a"}).content.decode()

    assert some.count('name="member_pick"') == 3 and "Bo Chen" not in some
    assert one.count('name="member_pick"') == 1 and "checked" in one and "Bo Chen" in one
    assert "member_pick" not in short and "No member matches" not in short


def test_the_search_lists_only_the_first_few_of_many(staff_client):
    Member.objects.bulk_create(
        Member(name=f"Agent {i:03d}", phone_number=f"+86139000{i:05d}") for i in range(30)
    )

    page = staff_client.get(reverse("recording-rule-members"), {"member": "agent"})

    text = page.content.decode()
    assert text.count('name="member_pick"') == CANDIDATES_SHOWN
    assert "30 members match" in text and "type more" in text


@pytest.mark.parametrize("text", ["\x00", "(", "()", "a(1)", "%", "_" * 5000, "+", "((((1))))"])
def test_odd_words_never_fail(staff_client, people, text):
    search = staff_client.get(reverse("recording-rule-members"), {"member": text})
    sent = _add(staff_client, text)

    assert search.status_code == 200
    assert sent.status_code in (302, 400)


def test_the_error_is_in_the_admins_language(people):
    with translation.override("zh-hans"):
        error = member_resolve("nobody").error

    assert "nobody" in error and "No member" not in error


def test_only_admins_search_members(client, employee, people):
    client.force_login(employee)

    assert client.get(reverse("recording-rule-members"), {"member": "an"}).status_code == 403
