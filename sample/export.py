"""A deterministic, realistic Slack export for the demo, tests, evals and benchmarks.

The same seed and size always give byte-identical files. A fixed set of hand-written
conversations (deploy how-to, an incident, PR reviews, customer feedback, launches) anchors the
questions the evals ask; generated chatter around them makes the workspace any size. Written day
file by day file, so a million-message export never sits in memory.
"""

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sample.conversations import (
    BOT,
    CHANNELS,
    CHATTER,
    DEPLOY_BOT_LINES,
    REPO,
    START,
    STORIES,
    TEAM_ID,
    USERS,
)


def _chatter_text(rng: random.Random, channel: str) -> str:
    """One to several sentences: mostly short messages, some paragraphs."""
    roll = rng.random()
    sentences = 1 if roll < 0.55 else rng.randint(2, 3) if roll < 0.85 else rng.randint(4, 7)
    pool = CHATTER[channel]
    return " ".join(rng.sample(pool, min(sentences, len(pool))))


def write_sample_export(path: Path, messages: int = 600, seed: int = 7) -> Path:
    """Write a Slack export folder with about `messages` message records; return its path."""
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    _dump(path / "users.json", _users())
    _dump(path / "channels.json", _channels())
    days = max(14, messages // 120)
    per_day: dict[tuple[str, str], list[dict]] = defaultdict(list)
    story_count = 0
    for record in _story_records():
        per_day[_key(record)].append(record)
        story_count += 1
    # Chatter fills the remainder, spread over `days` days; written one day at a time.
    remaining = max(0, messages - story_count)
    for day in range(days):
        quota = remaining // (days - day)
        remaining -= quota
        for record in _chatter(rng, day, quota):
            per_day[_key(record)].append(record)
        for key in [k for k in per_day if k[1] <= _date(day)]:
            _write_day(path, key, per_day.pop(key))
    for key, records in per_day.items():
        _write_day(path, key, records)
    return path


def _users() -> list[dict]:
    users = [
        {
            "id": uid,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real,
            "deleted": False,
            "is_bot": False,
            "tz": "Europe/London",
            "profile": {
                "real_name": real,
                "display_name": name,
                "title": title,
                "email": f"{name}@example.com",
            },
        }
        for uid, name, real, title in USERS
    ]
    users.append(
        {
            "id": BOT[1],
            "team_id": TEAM_ID,
            "name": BOT[2],
            "is_bot": True,
            "deleted": False,
            "profile": {"real_name": "Deploy Bot", "bot_id": BOT[0]},
        }
    )
    return users


def _channels() -> list[dict]:
    created = int(START.timestamp()) - 86400 * 30
    return [
        {
            "id": cid,
            "name": name,
            "created": created,
            "creator": USERS[0][0],
            "is_archived": False,
            "is_general": name == "general",
            "members": [u[0] for u in USERS],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": purpose, "creator": USERS[0][0], "last_set": created},
        }
        for cid, name, purpose in CHANNELS
    ]


def _user_id(name: str) -> str:
    return next(u[0] for u in USERS if u[1] == name)


def _channel_id(name: str) -> str:
    return next(c[0] for c in CHANNELS if c[1] == name)


def _ts(moment: datetime, seq: int) -> str:
    return f"{int(moment.timestamp())}.{seq:06d}"


def _story_records() -> Iterator[dict]:
    for n, (channel, day, hour, author, text, reactions, replies) in enumerate(STORIES):
        moment = START + timedelta(days=day, hours=hour - 9)
        parent_ts = _ts(moment, 900_000 + n)
        reply_ts = [
            _ts(moment + timedelta(minutes=5 * (i + 1)), 900_000 + n) for i in range(len(replies))
        ]
        parent = _message(channel, author, text, parent_ts)
        parent["reactions"] = [
            {"name": emoji, "users": [_user_id(u) for u in users], "count": len(users)}
            for emoji, users in reactions.items()
        ]
        if replies:
            parent.update(
                {
                    "thread_ts": parent_ts,
                    "reply_count": len(replies),
                    "reply_users": sorted({_user_id(a) for a, _ in replies}),
                    "latest_reply": reply_ts[-1],
                    "replies": [
                        {"user": _user_id(a), "ts": t}
                        for (a, _), t in zip(replies, reply_ts, strict=True)
                    ],
                }
            )
        yield parent
        for (reply_author, reply_text), ts in zip(replies, reply_ts, strict=True):
            reply = _message(channel, reply_author, reply_text, ts)
            reply.update({"thread_ts": parent_ts, "parent_user_id": _user_id(author)})
            yield reply


def _chatter(rng: random.Random, day: int, count: int) -> Iterator[dict]:
    base = START + timedelta(days=day)
    seconds = sorted(rng.sample(range(8 * 3600, 19 * 3600), count)) if count else []
    for seq, offset in enumerate(seconds):
        moment = base.replace(hour=0) + timedelta(seconds=offset)
        channel = rng.choice(CHANNELS)[1]
        author = rng.choice(USERS)[1]
        ts = _ts(moment, seq)
        roll = rng.random()
        if channel == "deploys" and roll < 0.5:
            version = f"v2.{10 + day // 7}.{day % 7}"
            record = _message(
                channel, None, rng.choice(DEPLOY_BOT_LINES).format(version=version), ts
            )
        elif roll < 0.04:
            record = _message(channel, author, f"<@{_user_id(author)}> has joined the channel", ts)
            record["subtype"] = "channel_join"
        else:
            text = _chatter_text(rng, channel).format(
                name=rng.choice(USERS)[2], version=f"v2.{10 + day // 7}.{day % 7}"
            )
            if rng.random() < 0.08:
                text += f" See <{REPO}/pull/{1100 + rng.randrange(300)}>"
            record = _message(channel, author, text, ts)
            if rng.random() < 0.15:
                emoji = rng.choice(["+1", "eyes", "tada", "heart", "joy"])
                who = rng.sample([u[0] for u in USERS], rng.randint(1, 3))
                record["reactions"] = [{"name": emoji, "users": who, "count": len(who)}]
            if rng.random() < 0.03:
                record["edited"] = {
                    "user": _user_id(author),
                    "ts": _ts(moment + timedelta(minutes=2), 0),
                }
        yield record


def _message(channel: str, author: str | None, text: str, ts: str) -> dict:
    if author is None:
        return {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": BOT[0],
            "username": BOT[2],
            "text": text,
            "ts": ts,
            "_channel": channel,
        }
    return {
        "type": "message",
        "user": _user_id(author),
        "text": text,
        "ts": ts,
        "_channel": channel,
    }


def _date(day: int) -> str:
    return (START + timedelta(days=day)).strftime("%Y-%m-%d")


def _key(record: dict) -> tuple[str, str]:
    moment = datetime.fromtimestamp(float(record["ts"]), tz=UTC)
    return record["_channel"], moment.strftime("%Y-%m-%d")


def _write_day(root: Path, key: tuple[str, str], records: list[dict]) -> None:
    channel, date = key
    folder = root / channel
    folder.mkdir(exist_ok=True)
    target = folder / f"{date}.json"
    existing = json.loads(target.read_text()) if target.exists() else []
    merged = existing + [{k: v for k, v in r.items() if k != "_channel"} for r in records]
    merged.sort(key=lambda r: float(r["ts"]))
    _dump(target, merged)


def _dump(target: Path, data: object) -> None:
    target.write_text(json.dumps(data, indent=1, sort_keys=True))
