#!/usr/bin/env python3
"""The labelled corpus: check the hand-written source files and build the
archive splits from them.

Source files (data/corpus/src/*.txt) hold one message per line, written by
hand in a compact form so that writers spend their effort on the text:

    BRAND CHANNEL KIND LANG LABEL [TAG ...] :: TEXT

  BRAND    a code from data/corpus/brands.json
  CHANNEL  x instagram facebook whatsapp tiktok reddit linkedin mastodon telegram youtube
  KIND     pub | dm
  LANG     en es pt fr de ar hi ur bn id tr (the message's main language)
  LABEL    lead support feedback crisis none (see LABELING.md)
  TAGS     t:ID     thread: lines of one file with the same ID, in file order,
                    are one conversation of 2-4 messages, each replying to the
                    one before (same brand and channel)
           h:N[,N]  deliberately hard case, by the guide's rule number(s) 1-9
           w:ROLE   who writes: c customer (default), o another person,
                    b the brand's own account, v a verified account with a big
                    audience (journalist, creator), m a moderator or bot
           i:CODE   part of an incident burst (codes in brands.json)
  TEXT     the message, as posted; "\\n" stands for a line break

Lines starting with '#' and blank lines are ignored.

`check FILE...` validates files and prints counts and the near-duplicate rate
against every source file. `build` writes data/corpus/{train,dev,test}.ndjson
(split by brand, deterministic: the same sources give the same bytes) and
`stats` reports the whole corpus.
"""
import collections
import datetime
import glob
import hashlib
import json
import os
import random
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "data", "corpus")
CHANNELS = {"x", "instagram", "facebook", "whatsapp", "tiktok", "reddit",
            "linkedin", "mastodon", "telegram", "youtube"}
LANGS = {"en", "es", "pt", "fr", "de", "ar", "hi", "ur", "bn", "id", "tr"}
LABELS = {"lead", "support", "feedback", "crisis", "none"}
ROLES = {"c", "o", "b", "v", "m"}
LINE_RE = re.compile(r"^(\S+) (\S+) (pub|dm) (\S+) (\S+)((?: \S+)*) :: (.+)$")


def load_brands():
    with open(os.path.join(CORPUS, "brands.json"), encoding="utf-8") as f:
        brands = json.load(f)
    with open(os.path.join(CORPUS, "incidents.json"), encoding="utf-8") as f:
        incidents = json.load(f)
    return {b["code"]: b for b in brands}, {i["code"]: i for i in incidents}


def parse_file(path, brands, incidents, errors):
    out = []
    threads = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{os.path.relpath(path, ROOT)}:{n}"
            m = LINE_RE.match(line)
            if not m:
                errors.append(f"{where}: not 'BRAND CHANNEL KIND LANG LABEL [TAGS] :: TEXT'")
                continue
            brand, channel, kind, lang, label, tags, text = m.groups()
            rec = {"where": where, "file": os.path.basename(path), "line": n,
                   "brand": brand, "channel": channel, "kind": kind,
                   "lang": lang, "label": label, "thread": None, "hard": [],
                   "role": "c", "incident": None,
                   "text": text.strip().replace("\\n", "\n")}
            if brand not in brands:
                errors.append(f"{where}: unknown brand code '{brand}'")
            if channel not in CHANNELS:
                errors.append(f"{where}: unknown channel '{channel}'")
            if lang not in LANGS:
                errors.append(f"{where}: unknown language '{lang}'")
            elif brand in brands and lang not in brands[brand]["langs"]:
                errors.append(f"{where}: brand {brand} has no '{lang}' market")
            if label not in LABELS:
                errors.append(f"{where}: unknown label '{label}'")
            for tag in tags.split():
                k, _, v = tag.partition(":")
                if k == "t" and re.fullmatch(r"[A-Za-z0-9_-]+", v):
                    rec["thread"] = v
                elif k == "h" and re.fullmatch(r"[1-9](,[1-9])*", v):
                    rec["hard"] = [int(x) for x in v.split(",")]
                elif k == "w" and v in ROLES:
                    rec["role"] = v
                elif k == "i" and v in incidents:
                    rec["incident"] = v
                    if brand in brands and incidents[v]["brand"] != brand:
                        errors.append(f"{where}: incident {v} belongs to {incidents[v]['brand']}")
                else:
                    errors.append(f"{where}: bad tag '{tag}'")
            if not rec["text"]:
                errors.append(f"{where}: empty text")
            if rec["thread"]:
                threads[rec["thread"]].append(rec)
            out.append(rec)
    for tid, msgs in threads.items():
        if not 2 <= len(msgs) <= 4:
            errors.append(f"{msgs[0]['where']}: thread '{tid}' has {len(msgs)} messages (2-4)")
        if len({(m["brand"], m["channel"]) for m in msgs}) != 1:
            errors.append(f"{msgs[0]['where']}: thread '{tid}' mixes brands or channels")
    return out


# Python's \w leaves out combining marks (Devanagari and Bengali vowel signs,
# Arabic harakat), which would split words of those scripts apart.
WORD_RE = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff]+", re.UNICODE)


def shingles(text, n=5):
    words = WORD_RE.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def near_duplicates(records):
    """Returns (near-duplicate records, records sharing any word 5-gram).

    A message is a near-duplicate when its normalized text equals another's
    (messages of three words or more), or when at least half of its word
    5-grams occur in one other single message."""
    index = collections.defaultdict(set)
    grams = []
    for i, r in enumerate(records):
        g = shingles(r["text"])
        grams.append(g)
        for s in g:
            index[s].add(i)
    exact = collections.defaultdict(list)
    for i, r in enumerate(records):
        words = WORD_RE.findall(r["text"].lower())
        if len(words) >= 3:
            exact[" ".join(words)].append(i)
    near, shared = set(), set()
    for i, g in enumerate(grams):
        counts = collections.Counter()
        for s in g:
            for j in index[s]:
                if j != i:
                    counts[j] += 1
        if counts:
            shared.add(i)
            j, c = counts.most_common(1)[0]
            if c * 2 >= len(g):
                near.add(i)
    for ids in exact.values():
        if len(ids) > 1:
            near.update(ids)
    return near, shared


def all_sources():
    return sorted(glob.glob(os.path.join(CORPUS, "src", "*.txt")))


def report(records, title):
    print(f"== {title}: {len(records)} messages")
    for key in ("label", "lang", "channel", "kind", "role"):
        c = collections.Counter(r[key] for r in records)
        print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    c = collections.Counter(r["brand"] for r in records)
    print("brands: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    threaded = [r for r in records if r["thread"]]
    nthreads = len({(r["file"], r["thread"]) for r in threaded})
    hard = sum(1 for r in records if r["hard"])
    inc = collections.Counter(r["incident"] for r in records if r["incident"])
    print(f"threads: {nthreads} with {len(threaded)} messages; hard: {hard} "
          f"({100.0 * hard / max(1, len(records)):.1f} %); incidents: {dict(inc)}")


def cmd_check(paths):
    brands, incidents = load_brands()
    errors = []
    mine = []
    for p in paths:
        mine += parse_file(p, brands, incidents, errors)
    others = []
    for p in all_sources():
        if os.path.abspath(p) not in {os.path.abspath(x) for x in paths}:
            others += parse_file(p, brands, incidents, [])
    for e in errors:
        print(e)
    report(mine, "checked files")
    allrecs = mine + others
    near, shared = near_duplicates(allrecs)
    mine_near = [allrecs[i] for i in near if i < len(mine)]
    mine_shared = sum(1 for i in shared if i < len(mine))
    print(f"near-duplicates: {len(mine_near)} of {len(mine)} "
          f"({100.0 * len(mine_near) / max(1, len(mine)):.2f} %, keep under 2 %); "
          f"sharing any word 5-gram: {100.0 * mine_shared / max(1, len(mine)):.1f} %")
    for r in sorted(mine_near, key=lambda r: (r["file"], r["line"]))[:40]:
        print(f"  near-duplicate {r['where']}: {r['text'][:90]}")
    return 1 if errors else 0


# ---- build ----------------------------------------------------------------

ID_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "whatsapp": "wa",
             "tiktok": "tt", "reddit": "rd", "linkedin": "li",
             "mastodon": "md", "telegram": "tg", "youtube": "yt"}
SYL = ["ka", "ri", "mo", "sa", "lu", "ne", "ta", "vi", "ro", "da", "mi", "zo",
       "pe", "fa", "ha", "ji", "ko", "la", "na", "si", "tu", "be", "de", "go"]
START = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)
SPAN_SECONDS = 240 * 86400


def handle(rng, channel):
    name = "".join(rng.choice(SYL) for _ in range(rng.randint(2, 4)))
    if channel == "whatsapp":
        return f"+{rng.randint(20, 99)} {rng.randint(70, 99)}******{rng.randint(100, 999)}"
    if channel == "reddit":
        return name.capitalize() + rng.choice(["Fox", "Owl", "Cat", "Moth", "Pine"]) + str(rng.randint(1, 999))
    sep = rng.choice(["", "_", ".", ""])
    return name + sep + rng.choice(["", str(rng.randint(1, 99)), rng.choice(SYL)])


def followers(rng, role, channel):
    if role == "v":
        return rng.randint(80_000, 2_500_000)
    if role == "b":
        return rng.randint(20_000, 900_000)
    if channel in ("whatsapp", "telegram"):
        return 0
    return int(rng.lognormvariate(5.0, 1.6))


def build():
    brands, incidents = load_brands()
    errors = []
    records = []
    for p in all_sources():
        records += parse_file(p, brands, incidents, errors)
    if errors:
        for e in errors[:50]:
            print(e, file=sys.stderr)
        print(f"build: {len(errors)} errors in the sources", file=sys.stderr)
        return 1
    # Conversations: a thread's messages, or a message on its own.
    convs = []
    by_thread = collections.OrderedDict()
    for r in records:
        if r["thread"]:
            by_thread.setdefault((r["file"], r["thread"]), []).append(r)
        else:
            convs.append([r])
    convs += list(by_thread.values())
    out = {"train": [], "dev": [], "test": []}
    authors = {}
    for conv in convs:
        first = conv[0]
        key = f"{first['file']}:{first['line']}"
        rng = random.Random(hashlib.sha256(key.encode()).digest())
        inc = incidents.get(first["incident"]) if first["incident"] else None
        if inc:
            t0 = datetime.datetime.fromisoformat(inc["start"].replace("Z", "+00:00"))
            at = t0 + datetime.timedelta(seconds=rng.randint(0, inc["minutes"] * 60))
        else:
            at = START + datetime.timedelta(seconds=rng.randint(0, SPAN_SECONDS))
        prefix = ID_PREFIX[first["channel"]]
        conv_id = None
        prev_id = None
        customer = None
        for k, r in enumerate(conv):
            mid = f"{prefix}:c{int(hashlib.sha256((key + str(k)).encode()).hexdigest()[:14], 16)}"
            if conv_id is None:
                conv_id = f"{prefix}-conv-{mid.split(':c')[1]}"
            role = r["role"]
            if role == "c" and customer is not None:
                author = customer
            else:
                author = {"id": f"{prefix}-u{rng.randint(10**8, 10**10)}",
                          "handle": handle(rng, r["channel"]),
                          "followers": followers(rng, role, r["channel"]),
                          "verified": role in ("v", "b")}
                if role == "b":
                    author["handle"] = brands[r["brand"]]["handle"].lstrip("@")
                if role == "c":
                    customer = author
            if k > 0:
                at = at + datetime.timedelta(seconds=rng.randint(60, 6 * 3600))
            msg = {"id": mid, "channel": r["channel"],
                   "kind": "public" if r["kind"] == "pub" else "private",
                   "conversation_id": conv_id, "in_reply_to": prev_id,
                   "author": author, "brand": brands[r["brand"]]["name"],
                   "text": r["text"], "lang": r["lang"],
                   "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "label": r["label"]}
            if r["incident"]:
                msg["incident"] = r["incident"]
            if r["hard"]:
                msg["hard"] = r["hard"]
            out[brands[r["brand"]]["split"]].append(msg)
            prev_id = mid
    for split, msgs in out.items():
        msgs.sort(key=lambda m: (m["created_at"], m["id"]))
        path = os.path.join(CORPUS, f"{split}.ndjson")
        with open(path, "w", encoding="utf-8") as f:
            for m in msgs:
                f.write(json.dumps(m, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"build: {path}: {len(msgs)} messages")
    return 0


def cmd_stats():
    brands, incidents = load_brands()
    records = []
    for p in all_sources():
        records += parse_file(p, brands, incidents, [])
    report(records, "corpus")
    for split in ("train", "dev", "test"):
        rs = [r for r in records if brands[r["brand"]]["split"] == split]
        c = collections.Counter(r["lang"] for r in rs)
        print(f"{split}: {len(rs)} messages, brands {len({r['brand'] for r in rs})}; " +
              ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    near, shared = near_duplicates(records)
    print(f"near-duplicates: {len(near)} of {len(records)} ({100.0 * len(near) / max(1, len(records)):.2f} %); "
          f"sharing any word 5-gram: {100.0 * len(shared) / max(1, len(records)):.1f} %")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(cmd_check(sys.argv[2:]))
    if len(sys.argv) == 2 and sys.argv[1] == "build":
        sys.exit(build())
    if len(sys.argv) == 2 and sys.argv[1] == "stats":
        sys.exit(cmd_stats())
    print(__doc__)
    print("usage: corpus.py check FILE... | build | stats", file=sys.stderr)
    sys.exit(2)
