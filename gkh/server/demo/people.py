"""Names for the demo world's owner register: made-up Russian families, drawn from seeded generators."""

from __future__ import annotations

import random

_MALE = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"), ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"), ("Виктор", "Викторович", "Викторовна"),
    ("Владимир", "Владимирович", "Владимировна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"), ("Кирилл", "Кириллович", "Кирилловна"),
    ("Максим", "Максимович", "Максимовна"), ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"), ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Роман", "Романович", "Романовна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"), ("Юрий", "Юрьевич", "Юрьевна"),
)
_FEMALE = (
    "Анна", "Екатерина", "Елена", "Ирина", "Мария", "Наталья", "Ольга", "Светлана", "Татьяна",
    "Юлия", "Дарья", "Ксения", "Марина", "Валентина", "Галина", "Людмила", "Вера", "Алина",
    "Полина", "Виктория",
)
# Male forms; the female form adds "а" (-ий → -ая). Иванов and Петров are left to the demo users.
_SURNAMES = (
    "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
    "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
    "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков",
    "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
    "Сидоров", "Матвеев", "Титов", "Вишневский", "Островский", "Чайковский", "Шевченко",
)


def _surname(male_form: str, female: bool) -> str:
    if not female or male_form.endswith(("ко", "их", "ых")):
        return male_form
    if male_form.endswith("ий"):
        return male_form[:-2] + "ая"
    return male_form + "а"


def _person(rng: random.Random, surname: str, female: bool, patronymic: str | None = None) -> str:
    if female:
        first = rng.choice(_FEMALE)
        patronymic = patronymic or rng.choice(_MALE)[2]
    else:
        first = rng.choice(_MALE)[0]
        patronymic = patronymic or rng.choice(_MALE)[1]
    return f"{_surname(surname, female)} {first} {patronymic}"


def owners_of_a_flat(rng: random.Random) -> list[tuple[str, int, int, str | None]]:
    """A family of 1–3 owners with shares that sum to exactly 1."""
    surname = rng.choice(_SURNAMES)
    head_female = rng.random() < 0.45
    head = _person(rng, surname, head_female)
    kind = rng.choices(("sole", "two", "three"), weights=(55, 35, 10))[0]
    if kind == "sole":
        return [(head, 1, 1, None)]
    # The second owner is the spouse; a third is a child, named after the father.
    spouse = _person(rng, surname, not head_female)
    father = spouse if head_female else head
    father_first = father.split()[1]
    son_p, daughter_p = next((m[1], m[2]) for m in _MALE if m[0] == father_first)
    child_female = rng.random() < 0.5
    child = _person(rng, surname, child_female, daughter_p if child_female else son_p)
    if kind == "two":
        second = spouse if rng.random() < 0.75 else child
        num, den = rng.choice(((1, 2), (1, 2), (1, 2), (2, 3), (3, 4)))
        return [(head, num, den, None), (second, den - num, den, None)]
    if rng.random() < 0.6:
        return [(head, 1, 3, None), (spouse, 1, 3, None), (child, 1, 3, None)]
    return [(head, 1, 2, None), (spouse, 1, 4, None), (child, 1, 4, None)]

