from ingest.text import classify, render, urls_in

USERS = {"U1": "alice"}.get
CHANNELS = {"C1": "general"}.get


def test_mentions_channels_and_links_render_as_a_reader_sees_them():
    raw = "hi <@U1>, see <#C1> and <https://example.com/a?b=1&amp;c=2|the doc> &amp; <!here>"
    assert render(raw, USERS, CHANNELS) == (
        "hi @alice, see #general and the doc (https://example.com/a?b=1&c=2) & @here"
    )


def test_unknown_ids_and_labels_fall_back_to_what_slack_sent():
    assert render("<@U9> <@U9|bob> <#C9|random> <!subteam^S1|@oncall>", USERS, CHANNELS) == (
        "@U9 @bob #random @oncall"
    )


def test_urls_come_from_markup_and_bare_text_once_each():
    text = "<https://github.com/a/b/pull/7|PR> and https://github.com/a/b/pull/7 and http://x.io/y."
    assert urls_in(text) == ["https://github.com/a/b/pull/7", "http://x.io/y"]


def test_link_classification():
    kinds = {
        "https://github.com/acme/webapp/pull/1234": "github_pr",
        "https://github.com/acme/webapp/issues/9": "github_issue",
        "https://github.com/acme/webapp": "other",
        "https://acme.atlassian.net/browse/WEB-311": "jira",
        "https://jira.acme.com/browse/OPS-1": "jira",
        "https://docs.google.com/document/d/1AbC/edit": "google_doc",
        "https://example.com": "other",
    }
    assert {url: classify(url).link_type for url in kinds} == kinds
