#!/usr/bin/env python3
"""Measures a rule pack on the public labeled data sets under ../shared/data/raw.

Each set is converted to the archive format in a scratch directory (never in
the repository: the texts are third-party), with its labels mapped to
lead / support / feedback / crisis / none as the set's SOURCE.md suggests, then
scored with `triage eval --json`. Prints one Markdown table.

Usage: scripts/eval_public.py [--triage build/release/cli/triage] [--rules DIR]
                              [--shared ../shared] [--out build/public]
                              [--model FILE] [--compare] [--write-training]
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys


def row(i, text, label, lang="en", channel="x", kind="public"):
    return {"id": f"p:{i}", "channel": channel, "kind": kind, "text": text, "lang": lang, "label": label}


def airline(raw):
    support_reasons = {"Customer Service Issue", "Late Flight", "Cancelled Flight", "Lost Luggage",
                       "Damaged Luggage", "Flight Booking Problems", "longlines"}
    out = []
    with open(f"{raw}/twitter_us_airline_sentiment/airline_tweets.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            s, reason = r["airline_sentiment"], r["negativereason"]
            if s == "negative":
                label = "support" if reason in support_reasons else "feedback"
            elif s == "positive":
                label = "feedback"
            else:
                continue  # neutral: lead or none, needs manual review (SOURCE.md)
            out.append((r["text"], label, "en"))
    return out


BANKING_LEAD = {"getting_virtual_card", "order_physical_card", "getting_spare_card", "supported_cards_and_currencies",
                "country_support", "fiat_currency_support", "age_limit", "exchange_rate", "disposable_card_limits",
                "top_up_limits"}


def banking77(raw):
    out = []
    with open(f"{raw}/banking77/test.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.append((r["text"], "lead" if r["category"] in BANKING_LEAD else "support", "en"))
    return out


def arbanking77(raw):
    names = {}
    with open(f"{raw}/arbanking77/Banking77_intents.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            names[r["label_ar"].strip()] = r["label_en"].strip().replace(" ", "_")
    out = []
    for name in ("Banking77_Arabized_MSA_test.csv", "Banking77_Arabized_Saudi_test.csv"):
        with open(f"{raw}/arbanking77/{name}", newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                intent = names.get(r["label"].strip(), "")
                out.append((r["text"], "lead" if intent in BANKING_LEAD else "support", "ar"))
    return out


def bitext(raw):
    lead = {"place_order", "check_payment_methods", "delivery_options", "delivery_period", "create_account",
            "newsletter_subscription"}
    out = []
    for path in sorted(glob.glob(f"{raw}/bitext_customer_support_intents/Bitext_*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                intent = r["intent"]
                if intent in lead:
                    label = "lead"
                elif intent == "review" or r["category"] == "FEEDBACK":
                    label = "feedback"
                else:
                    label = "support"
                out.append((r["utterance"], label, "en"))
    return out


def clinc150(raw):
    lead = {"order", "book_flight", "book_hotel", "car_rental", "restaurant_reservation", "apr", "interest_rate",
            "credit_limit", "new_card", "improve_credit_score"}
    support = {"report_lost_card", "damaged_card", "card_declined", "replacement_card_duration", "freeze_account",
               "pin_change", "order_status", "lost_luggage", "report_fraud", "bill_due", "transactions",
               "expiration_date"}
    out = []
    with open(f"{raw}/clinc150/clinc150_test.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            i = r["intent"]
            out.append((r["text"], "lead" if i in lead else "support" if i in support else "none", "en"))
    return out


def crisislex_t26_all(raw):
    out = []
    for path in sorted(glob.glob(f"{raw}/crisislex_t26/*/*-tweets_labeled.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                r = {k.strip(): v for k, v in r.items()}
                inf = r["Informativeness"].strip()
                if inf.startswith("Related"):
                    out.append((r["Tweet Text"], "crisis", ""))
                elif inf == "Not related":
                    out.append((r["Tweet Text"], "none", ""))
    return out


def crisislex_t26(raw):
    """Odd rows: the even rows train the bundled model (scripts/train_default_model.py)."""
    return crisislex_t26_all(raw)[1::2]


def training_sets(raw):
    """Training data for the bundled model, disjoint from the evaluation sets above:
    banking77's train split (every fifth row, so it does not drown the rest)
    and crisislex_t26's even rows. Both licences (CC BY 4.0, MIT) allow it."""
    bank = []
    with open(f"{raw}/banking77/train.csv", newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i % 5 == 0:
                bank.append((r["text"], "lead" if r["category"] in BANKING_LEAD else "support", "en"))
    return [("banking77_train", bank), ("crisislex_t26_even", crisislex_t26_all(raw)[0::2])]


def write_archive(path, rows, prefix="p"):
    with open(path, "w", encoding="utf-8") as f:
        for i, (text, label, lang) in enumerate(rows):
            r = row(i, text, label, lang)
            r["id"] = f"{prefix}:{i}"
            if not lang:
                del r["lang"]
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def crisislex_t6(raw):
    out = []
    with open(f"{raw}/crisislex_t6/crisislex_t6_sample.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.append((r["tweet"], "crisis" if r["label"].strip() == "on-topic" else "none", "en"))
    return out


def purchase_intent(raw):
    out = []
    with open(f"{raw}/purchase_intent_iphonex_tweets/Annotated4.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            c = r["class"].strip().lower()
            if c in ("yes", "pi"):
                out.append((r["text"], "lead", "en"))
            elif c == "no":
                out.append((r["text"], "none", "en"))
    return out


SETS = [
    ("twitter_us_airline_sentiment", airline, "negative: support/feedback by reason; positive: feedback; neutral dropped"),
    ("banking77 (test)", banking77, "onboarding intents: lead; the rest: support"),
    ("arbanking77 (MSA + Saudi test, Arabic)", arbanking77, "as banking77"),
    ("bitext_customer_support_intents", bitext, "pre-purchase intents: lead; review: feedback; rest: support"),
    ("clinc150 (test)", clinc150, "commerce intents: lead; card/account problems: support; rest and oos: none"),
    ("crisislex_t26 (odd rows)", crisislex_t26, "related: crisis; not related: none (language detected)"),
    ("crisislex_t6 (sample)", crisislex_t6, "on-topic: crisis; off-topic: none"),
    ("purchase_intent_iphonex_tweets", purchase_intent, "yes: lead; no: none; undefined dropped"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--triage", default=os.path.join(root, "build/release/cli/triage"))
    ap.add_argument("--rules", default=os.path.join(root, "rules/default"))
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(root, "build/public"))
    ap.add_argument("--model", default="", help="model file for triage eval (default: the pack's)")
    ap.add_argument("--compare", action="store_true", help="add rules / model / combined macro-F1 (5 labels)")
    ap.add_argument("--write-training", action="store_true",
                    help="write the bundled model's training archives to OUT/train and stop")
    args = ap.parse_args()
    raw = os.path.join(args.shared, "data/raw")
    os.makedirs(args.out, exist_ok=True)

    if args.write_training:
        os.makedirs(os.path.join(args.out, "train"), exist_ok=True)
        for name, rows in training_sets(raw):
            write_archive(os.path.join(args.out, "train", name + ".ndjson"), rows, prefix=name)
        return

    cmp_head = " macro-F1 rules / model / combined |" if args.compare else ""
    print("| data set | messages | macro-F1 (5 labels) | macro-F1 (labels in truth) | accuracy | F1 per label in truth |"
          + cmp_head + " mapping |")
    print("|---|---:|---:|---:|---:|---|" + ("---|" if args.compare else "") + "---|")
    for name, fn, mapping in SETS:
        rows = fn(raw)
        path = os.path.join(args.out, name.split(" ")[0] + ".ndjson")
        write_archive(path, rows)
        cmd = [args.triage, "eval", "--json", "--no-detector", "--rules", args.rules, path]
        if args.model:
            cmd += ["--model", args.model]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode not in (0, 3):
            print(res.stderr, file=sys.stderr)
            sys.exit(1)
        rep = json.loads(res.stdout)
        present = {l: m for l, m in rep["per_label"].items() if m["support"] > 0}
        per = ", ".join(f"{l} {m['f1']:.2f}" for l, m in present.items())
        macro_present = sum(m["f1"] for m in present.values()) / len(present)
        cmp = ""
        if args.compare:
            c = rep.get("compare")
            cmp = (f" {c['rules']['macro_f1']:.3f} / {c['model']['macro_f1']:.3f} / {c['combined']['macro_f1']:.3f} |"
                   if c else " (no model) |")
        print(f"| {name} | {rep['messages']} | {rep['macro_f1']:.3f} | {macro_present:.3f} | {rep['accuracy']:.3f} | {per} |"
              f"{cmp} {mapping} |")


if __name__ == "__main__":
    main()
