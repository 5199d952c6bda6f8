"""Synthetic recall data in the style of the paper's FDA/SWDE extraction tasks.

A document describes one or more records (a person with a city, a birth year and a code); a question names a person
and an attribute and the gold answer is that attribute's value. Rows use the job's input columns (id, context,
question, answers) and the FDA task: `readtwice run --task fda` builds "<document> <Question>:" (default) or
"Information about <Question>. <document>\n<document> <Question>:" (twice) from them.

Deterministic by seed; name pairs are split so that evaluation rows never use a name seen in training.

  python3 synth_recall.py --split eval --records 2 --rows 200 --seed 7 > eval-2.jsonl
"""
import argparse
import json
import random
import sys

FIRST = ("Ada Alma Amos Anya Boris Cara Cyril Dana Dario Edith Elias Emil Esme Fanny Felix Greta Hana Hugo Ida Igor "
         "Iris Jonas Juno Karl Kira Lars Lena Lior Mara Milo Nadia Nico Nora Oskar Olga Otto Paula Pavel Petra Quinn "
         "Rafael Rosa Ruth Selma Sven Talia Teo Uma Ugo Vera Viktor Wanda Wes Xena Yara Yusuf Zane Zora Bruno Clara").split()
LAST = ("Abbott Barlow Castell Dalton Ember Falk Garnier Holm Ingram Jovic Keller Lindqvist Moreau Novak Okafor "
        "Pereira Quist Rahman Sandoval Tanaka Ueda Varga Wexler Yilmaz Zeller Ashford Brandt Coelho Duarte Eklund "
        "Ferraro Galvez Hartmann Iversen Jansen Kowalski Lambert Marsh Nakamura Orlov Petrov Quinlan Rossi Santos "
        "Thorne Ulrich Vidal Weiss Young Zhou Baker Conti Dubois Engel Fischer Gupta Haas Ito Kaur Lopez").split()
CITIES = ("Lyon Porto Oslo Vienna Kyoto Lima Dakar Quito Perth Malmo Turin Ghent Krakow Seville Bergen Tallinn Riga "
          "Leeds Cork Hanoi Osaka Austin Denver Boston Toronto Ottawa Sydney Nairobi Cairo Tunis Lagos Accra Delhi "
          "Dhaka Manila Jakarta Seoul Busan Taipei Bogota Santiago Havana Miami Dublin Glasgow Cardiff Munich Zurich "
          "Geneva Milan Naples Athens Sofia Prague Warsaw Minsk Kiev Tbilisi Baku Tehran").split()
ATTRIBUTES = ("city", "born", "code")
TRAIN, EVAL = "train", "eval"


def is_eval_pair(first, last):
    """One name pair in ten is kept for evaluation."""
    return (first * 61 + last) % 10 == 0


def draw_person(rng, split, taken):
    while True:
        i, j = rng.randrange(len(FIRST)), rng.randrange(len(LAST))
        if is_eval_pair(i, j) == (split == EVAL) and (i, j) not in taken:
            taken.add((i, j))
            return {"name": f"{FIRST[i]} {LAST[j]}", "city": rng.choice(CITIES),
                    "born": str(rng.randrange(1940, 2010)),
                    "code": f"{chr(ord('A') + rng.randrange(26))}{rng.randrange(100):02d}"}


def describe(person):
    return f"Name: {person['name']}. City: {person['city']}. Born: {person['born']}. Code: {person['code']}."


def document(rng, split, records):
    taken = set()
    people = [draw_person(rng, split, taken) for _ in range(records)]
    return people, " ".join(describe(p) for p in people)


def questions(rng, people, count):
    """`count` distinct (key, value) pairs about the document's people, in random order."""
    pairs = [(f"{p['name']} {a}", p[a]) for p in people for a in ATTRIBUTES]
    rng.shuffle(pairs)
    return pairs[:count]


def rows(split, records, count, seed):
    rng = random.Random(f"{seed}/{split}/{records}")
    for n in range(count):
        people, text = document(rng, split, records)
        (key, value), = questions(rng, people, 1)
        yield {"id": f"{split}-{records}r-{seed}-{n:05d}", "context": text, "question": key, "answers": [value],
               "records": records}


# The FDA templates of the job (TaskTemplates.fda), for documents that end with "." and keys without ":".
def upper_first(s):
    return s[:1].upper() + s[1:]


def fda_default(text, key):
    return f"{text} {upper_first(key)}:"


def fda_twice(text, key):
    k = upper_first(key)
    return f"Information about {k}. {text}\n{text} {k}:"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=[TRAIN, EVAL], default=EVAL)
    p.add_argument("--records", type=int, default=1, help="records (people) per document")
    p.add_argument("--rows", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.records < 1 or a.records > 24:
        p.error(f"--records must be 1..24, got {a.records}")
    for row in rows(a.split, a.records, a.rows, a.seed):
        sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
