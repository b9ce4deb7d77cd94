"""Small built-in stop-word lists, used as one prose feature (share of function words).

Prose is dense in function words in every language; menus, headlines, tag lists and
buttons are not. The lists are deliberately short (the most frequent function words
of each language) and merged into one set: the feature asks "is this running text?",
not "which language is this?". Languages without spaces between words (Chinese,
Japanese) use character-based features instead (see `lines.py`).
"""

from __future__ import annotations

_LISTS: dict[str, str] = {
    "en": (
        "a an the and or but if of to in on at by for with from as into about over after "
        "is are was were be been being has have had do does did will would can could "
        "should may might must shall not no it its this that these those there their they "
        "them he him his she her we our you your i me my who which what when where while "
        "than then so also just more most such only very said says up out all any some"
    ),
    "de": (
        "der die das den dem des ein eine einer eines einem und oder aber wenn als auch "
        "nicht ist sind war waren wird werden hat haben hatte mit von zu zum zur im in an "
        "auf aus bei nach für über um sich er sie es wir ihr dass daß wie noch nur so"
    ),
    "fr": (
        "le la les un une des du de et ou mais si que qui quoi dont est sont était été "
        "avec pour par dans sur au aux ce cette ces il elle ils elles nous vous on ne pas "
        "plus se sa son ses leur leurs comme aussi être avoir a"
    ),
    "es": (
        "el la los las un una unos unas y o pero si que quien de del al en con por para "
        "es son era fue ser ha han había se su sus lo le les como más no muy este esta "
        "estos estas ese esa también sobre entre"
    ),
    "pt": (
        "o a os as um uma uns umas e ou mas se que quem de do da dos das no na nos nas "
        "em com por para pelo pela é são era foi ser tem têm há seu sua seus suas como "
        "mais não muito este esta isso isto ele ela eles elas também ao aos"
    ),
    "it": (
        "il lo la i gli le un una e o ma se che chi di del della dei delle in con per su "
        "da dal dalla è sono era stato essere ha hanno non più come anche questo questa "
        "suo sua loro al alla nel nella"
    ),
    "nl": (
        "de het een en of maar als dat die dit deze van in op aan met voor door bij naar "
        "uit is zijn was waren wordt worden heeft hebben had niet ook nog er hij zij we "
        "ze je ik om te tot"
    ),
    "ru": (
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по "
        "только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли "
        "если уже или быть был него до вас нибудь опять уж вам ведь там потом себя ничего "
        "ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто "
        "чего раз тоже себе под будет это при этом также которые который которая"
    ),
    "id": (
        "yang dan di ke dari untuk dengan pada ini itu adalah dalam tidak akan juga atau "
        "oleh karena sudah bisa ada saat kita kami mereka ia dia jadi telah sebagai "
        "tersebut bahwa lebih para hingga sangat"
    ),
    "tr": (
        "ve bir bu da de için ile olarak çok daha gibi en ama ancak sonra kadar olan "
        "oldu ise mi ne o şu her"
    ),
    "pl": (
        "i w z na do nie się że to jest o jak po od za ale przez dla czy jego jej są był "
        "była było tak już także oraz który która"
    ),
}

STOP_WORDS: frozenset[str] = frozenset(w for words in _LISTS.values() for w in words.split())
"""All stop words of all built-in languages, lower-cased."""
