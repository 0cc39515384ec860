#!/usr/bin/env python3
"""Writes samples/history.ndjson: three weeks of an invented support desk's
conversations with its agents' events (replied, resolved, rerouted,
moved_private, escalated_offchannel), in the archive format. Deterministic
(fixed seed); every text is the project's own. Used by the README's maturity
example: triage replay --data DIR samples/history.ndjson, then
triage maturity --data DIR."""
import datetime
import json
import random
import sys

rng = random.Random(7)
START = datetime.datetime(2026, 10, 26, 0, 0, tzinfo=datetime.timezone.utc)  # a Monday
TEXTS = [
    ("en", "My parcel was due on Tuesday and the tracking page has not moved since."),
    ("en", "The app logs me out every time I open the basket, can you help?"),
    ("en", "How much is the family plan if we add a fourth person?"),
    ("en", "Loved the new checkout, it took me ten seconds."),
    ("es", "Mi pedido llegó incompleto, falta la funda del portátil."),
    ("es", "¿Tienen descuento para estudiantes en el plan anual?"),
    ("pt", "Cobraram duas vezes a mesma compra no meu cartão."),
    ("fr", "Le remboursement promis il y a deux semaines n'est toujours pas arrivé."),
    ("de", "Die Rechnung zeigt den falschen Tarif, bitte korrigieren."),
    ("ar", "طلبي متأخر منذ أسبوع ولم يرد أحد على رسائلي"),
    ("hi", "मेरा ऑर्डर अभी तक नहीं आया, कृपया स्थिति बताइए"),
    ("ur", "میرا آرڈر ابھی تک نہیں پہنچا، براہ کرم مدد کریں"),
    ("bn", "আমার অর্ডার এখনও আসেনি, দয়া করে জানাবেন"),
    ("id", "Paket saya belum sampai padahal sudah lewat tiga hari."),
    ("tr", "Siparişim hâlâ gelmedi, kargo takip numarası çalışmıyor."),
]
CHANNELS = ["x", "instagram", "facebook", "whatsapp"]
AGENTS = ["amira", "bruno", "chen", "dana"]


def ts(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_open(t):
    """The next moment the desk is staffed: 08:00-18:00 Monday to Friday,
    10:00-14:00 on Saturday (one agent)."""
    while True:
        wd, h = t.weekday(), t.hour
        if wd < 5 and 8 <= h < 18 or wd == 5 and 10 <= h < 14:
            return t
        t = (t + datetime.timedelta(hours=1)).replace(minute=rng.randint(0, 20), second=0)


lines = []
n = 0
for day in range(21):
    for _ in range(rng.randint(7, 13)):
        channels = CHANNELS + (["tiktok"] if day >= 14 else [])
        channel = rng.choice(channels)
        kind = "private" if channel == "whatsapp" else "public"
        lang, text = rng.choice(TEXTS)
        t = START + datetime.timedelta(days=day, minutes=rng.randint(7 * 60, 22 * 60))
        cid = "conv:%d" % n
        mid = "hist:%d" % n
        n += 1
        author = {"id": "cust%d" % rng.randint(1, 400), "followers": rng.choice([40, 300, 1200, 8000, 75000])}
        lines.append((t, 0, {"id": mid, "channel": channel, "kind": kind, "conversation_id": cid, "author": author,
                             "brand": "Lumen Mobile", "text": text, "lang": lang, "created_at": ts(t)}))
        if rng.random() < 0.06:
            continue  # never answered
        agent = rng.choice(AGENTS if t.weekday() < 5 else AGENTS[:1])
        reply = next_open(t) + datetime.timedelta(minutes=rng.randint(4, 75))
        lines.append((reply, 1, {"type": "event", "message": mid, "event": "replied", "agent": agent, "at": ts(reply)}))
        last = reply
        if kind == "public" and rng.random() < 0.3:
            last = last + datetime.timedelta(minutes=2)
            lines.append((last, 1, {"type": "event", "message": mid, "event": "moved_private", "agent": agent, "at": ts(last)}))
        if rng.random() < 0.05:
            last = last + datetime.timedelta(minutes=3)
            lines.append((last, 1, {"type": "event", "message": mid, "event": "rerouted", "agent": agent, "at": ts(last),
                                    "to_queue": "sales"}))
        if rng.random() < 0.25:  # the customer writes again, and is answered again
            follow = last + datetime.timedelta(minutes=rng.randint(10, 240))
            fid = "hist:%d" % n
            n += 1
            lines.append((follow, 0, {"id": fid, "channel": channel, "kind": kind, "conversation_id": cid, "in_reply_to": mid,
                                      "author": author, "brand": "Lumen Mobile", "text": "Any news on this? Still waiting.",
                                      "lang": "en", "created_at": ts(follow)}))
            last = next_open(follow) + datetime.timedelta(minutes=rng.randint(3, 60))
            lines.append((last, 1, {"type": "event", "message": fid, "event": "replied", "agent": agent, "at": ts(last)}))
        if rng.random() < 0.85:
            if rng.random() < 0.12:
                last = last + datetime.timedelta(minutes=5)
                lines.append((last, 1, {"type": "event", "message": mid, "event": "escalated_offchannel", "agent": agent,
                                        "at": ts(last), "note": "phone call"}))
            done = last + datetime.timedelta(minutes=rng.randint(5, 180))
            lines.append((done, 1, {"type": "event", "message": mid, "event": "resolved", "agent": agent, "at": ts(done)}))

# In time order, as a desk's export would be; a message before its events.
lines.sort(key=lambda x: (x[0], x[1]))
out = sys.stdout if len(sys.argv) < 2 else open(sys.argv[1], "w", encoding="utf-8")
for _, _, obj in lines:
    out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
