"""How the newsletter tells a channel's conversations apart before threads existed: runs of
messages close in time, and later runs that answer a speaker by name (pure functions)."""

from datetime import UTC, datetime, timedelta

from agent.newsletter import _joined_by_address
from mcp_server.contracts import MessageRef

START = datetime(2016, 7, 11, 15, 19, tzinfo=UTC)


def _message(n: int, user: str, text: str, minutes: float) -> MessageRef:
    stamp = START + timedelta(minutes=minutes)
    ts = f"{stamp.timestamp():.6f}"
    return MessageRef(
        message_id=f"T1:C1:{ts}",
        channel_id="C1",
        channel="get_feedback",
        ts=ts,
        user_id=f"U{user.upper()}",
        user=user,
        time=stamp,
        text=text,
        permalink=f"/archives/C1/p{ts.replace('.', '')}",
    )


def _texts(conversations: list[list[MessageRef]]) -> list[list[str]]:
    return [[m.text for m in talk] for talk in conversations]


POST = [_message(0, "timabram", "here's a more complete version of my webcam map", 0)]
ASIDE = [_message(1, "jkim", "anyone going to the scipy conference?", 40)]


def test_a_run_that_answers_a_speaker_by_name_continues_their_conversation():
    reply = [
        _message(2, "neerajt", "hey @timabram cool project! it doesn't render for me", 81),
        _message(3, "timabram", "thanks @neerajt! could be the basemap tiles", 91),
    ]
    assert _texts(_joined_by_address([POST, ASIDE, reply])) == _texts([POST + reply, ASIDE])


def test_a_run_stays_apart_when_the_name_is_not_its_opener_or_too_old_or_its_own():
    later = [
        _message(2, "javier", "seriously though, amazing project", 200),
        _message(3, "jkim", "@timabram where is big bend?", 210),
    ]
    next_week = [_message(4, "neerajt", "@timabram did you post the code?", 60 * 24 * 7)]
    own = [_message(5, "timabram", "@timabram note to self: fix the tiles", 300)]
    runs = [POST, later, own, next_week]
    assert _texts(_joined_by_address(runs)) == _texts(runs)


def test_a_longer_name_that_starts_with_the_speaker_s_is_someone_else():
    tim = [_message(0, "tim", "the map is up", 0)]
    other = [_message(1, "neerajt", "@timabram and @tim.b, see above", 60)]
    assert _texts(_joined_by_address([tim, other])) == _texts([tim, other])


def test_a_run_joins_the_conversation_the_named_speaker_last_spoke_in():
    first = [_message(0, "timabram", "the map is up", 0), _message(1, "amandashih", "nice", 10)]
    second = [_message(2, "jkim", "where is big bend?", 60), _message(3, "timabram", "west", 70)]
    thanks = [_message(4, "javier", "@amandashih thanks for sharing", 110)]  # joins the first
    answer = [_message(5, "neerajt", "@timabram oh, west texas", 150)]
    assert _texts(_joined_by_address([first, second, thanks, answer])) == _texts(
        [first + thanks, second + answer]
    )
