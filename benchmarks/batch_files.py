"""Batch files for benchmarks and soak runs: N accounts at one house, each with a cold-water meter, and a reading
for each of those meters — valid Russian data as a managing organisation's 1C exports it (Windows-1251, `;`,
decimal commas, Russian headers) or as UTF-8 with commas and English headers.

    python benchmarks/batch_files.py ROWS OUT_DIR [--house ADDRESS] [--utf8] [--seed N]

writes OUT_DIR/accounts-ROWS.csv and OUT_DIR/readings-ROWS.csv and prints their paths. The same arguments write
the same bytes. Account numbers are drawn (10 digits, never repeated, never one of the demo's 8-digit ones),
serial numbers follow the row (`ХВ-26-000001`), so the readings file names the meters the accounts file creates.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from pathlib import Path

HOUSE = "г. Москва, ул. Строителей, д. 3"  # the demo's new house, served by ООО «УК Ленинский квартал»
_MEN = ("Александр", "Алексей", "Андрей", "Дмитрий", "Иван", "Михаил", "Николай", "Сергей", "Павел", "Юрий")
_WOMEN = ("Анна", "Екатерина", "Елена", "Ирина", "Мария", "Наталья", "Ольга", "Светлана", "Татьяна", "Юлия")
_PATRONYMICS = ("Александров", "Алексеев", "Андреев", "Дмитриев", "Иванов", "Михайлов", "Николаев", "Сергеев")
_SURNAMES = ("Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов",
             "Волков", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Орлов", "Макаров")

ACCOUNT_HEADERS = {
    "ru": ("Адрес дома", "Квартира", "Лицевой счёт", "ЕЛС", "Площадь", "Доля", "ФИО плательщика", "Вид владения",
           "Заводской номер счётчика", "Ресурс", "Тарифность"),
    "en": ("house", "flat", "number", "els", "area", "share", "payer", "kind", "meter_serial", "meter_resource",
           "meter_zones"),
}
READING_HEADERS = {"ru": ("Счётчик", "Показания", "Дата"), "en": ("meter", "T1", "date")}


def payer(rng: random.Random) -> str:
    surname, patronymic = rng.choice(_SURNAMES), rng.choice(_PATRONYMICS)
    if rng.random() < 0.5:
        return f"{surname} {rng.choice(_MEN)} {patronymic}ич"
    return f"{surname}а {rng.choice(_WOMEN)} {patronymic}на"


def accounts(rows: int, house: str, seed: int, comma: bool) -> Iterator[tuple[str, ...]]:
    rng = random.Random(f"accounts-{seed}")
    numbers = rng.sample(range(10**9, 10**10), rows)  # drawn, never repeated; 10 digits, unlike the demo's 8
    for i in range(1, rows + 1):
        area = f"{rng.randint(280, 1200) / 10:.1f}"
        share, kind = rng.choice((("1", "собственник"), ("1/2", "собственник"), ("", "наниматель")))
        yield (house, str(i), str(numbers[i - 1]), "", area.replace(".", ",") if comma else area, share,
               payer(rng), kind, f"ХВ-26-{i:06d}", "ХВС" if comma else "cold_water", "1")


def readings(rows: int, seed: int, comma: bool) -> Iterator[tuple[str, ...]]:
    rng = random.Random(f"readings-{seed}")
    for i in range(1, rows + 1):
        value = f"{rng.randint(1000, 99999) / 1000:.3f}"
        yield f"ХВ-26-{i:06d}", value.replace(".", ",") if comma else value, ""


def write(path: Path, header: tuple[str, ...], rows: Iterator[tuple[str, ...]], utf8: bool) -> None:
    with path.open("w", encoding="utf-8" if utf8 else "cp1251", newline="") as out:
        writer = csv.writer(out, delimiter="," if utf8 else ";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--house", default=HOUSE, help="the house's address or FIAS GUID")
    parser.add_argument("--utf8", action="store_true", help="UTF-8, commas and English headers (else 1C's way)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    lang, comma = ("en", False) if args.utf8 else ("ru", True)
    accounts_path = args.out / f"accounts-{args.rows}.csv"
    readings_path = args.out / f"readings-{args.rows}.csv"
    write(accounts_path, ACCOUNT_HEADERS[lang], accounts(args.rows, args.house, args.seed, comma), args.utf8)
    write(readings_path, READING_HEADERS[lang], readings(args.rows, args.seed, comma), args.utf8)
    print(accounts_path)
    print(readings_path)


if __name__ == "__main__":
    main()
