"""A short, multi-language list of common page-chrome phrases, by reason code.

This is ONE feature among many (line shape, prose features, block structure, corpus
frequency): a line is matched only when it is short and consists of (or, for phrases of
two or more words, starts with) one of these phrases after normalisation (lower-cased,
digits and punctuation dropped; see `chrome.phrase_key`). The lists hold generic interface
wording that recurs across sites and languages (en, de, fr, es, pt, it, nl, ru, id, ja, zh),
never wording of particular sites. Keep them short: shape features do most of the work.
"""

from __future__ import annotations

from crawler.reasons import Removed


def _split(text: str) -> tuple[str, ...]:
    """Phrases separated by "|" -> tuple of phrases (a line break inside one is a space)."""
    return tuple(" ".join(p.split()) for p in text.split("|") if p.strip())


PHRASES: dict[Removed, tuple[str, ...]] = {
    Removed.SHARE: _split(
        """
        share | shares | share this | share on | share via | share this article | share this
        story | share article | tweet | pin it | email |
        e mail | print | copy link | facebook | twitter | linkedin | whatsapp |
        reddit | pinterest | telegram | flipboard | pocket | instagram | youtube | rss | click
        to share | follow us | follow me | follow on | teilen | partager | compartir |
        compartilhar | condividi | delen | bagikan | поделиться | シェア | ツイート
        """
    ),
    Removed.NEWSLETTER: _split(
        """
        newsletter | newsletters | subscribe | subscribe now | subscribe to | sign up | sign
        up for | get the newsletter | join our newsletter | abonnieren | newsletter abonnieren
        | s abonner | abonnez vous | suscríbete | suscribirse | assine | inscreva se |
        iscriviti | abonneer | berlangganan | подписаться | подпишитесь | メルマガ登録
        """
    ),
    Removed.COOKIE_NOTICE: _split(
        """
        we use cookies | this website uses cookies | this site uses cookies | cookie policy |
        cookie settings | accept cookies | accept all cookies | manage cookies | cookies | wir
        verwenden cookies | nous utilisons des cookies | utilizamos cookies | usamos cookies |
        utilizziamo i cookie | мы используем cookie
        """
    ),
    Removed.APP_PROMO: _split(
        """
        download the app | get the app | download our app | app store | google play | get it
        on google play | download on the app store | baixe o app | descarga la app | app
        herunterladen | télécharger l application
        """
    ),
    Removed.COMMENTS: _split(
        """
        comments | comment | no comments yet | leave a comment | leave a reply | post comment
        | post a comment | add comment | view comments | show comments | join the conversation
        | reply | responses | discussion | kommentare | commentaires | comentarios |
        comentários | comente | commenti | reacties | komentar | комментарии | コメント
        """
    ),
    Removed.RELATED_BLOCK: _split(
        """
        related | related articles | related stories | related posts | related news | related
        topics | related content | related coverage | related tags | related links | related
        reading | related video | related post | more | more from | more on | more stories |
        more news | more articles | more like this | read more | read next | read also | also
        read | see more | see also | you may also like | you might also like | you may like |
        recommended | recommended for you | recommended stories | trending | trending now |
        most popular | most read | most viewed | most shared | most discussed | popular |
        popular posts | latest news | latest stories | latest | top stories | similar posts |
        similar articles | don t miss | editor s picks | mehr zum thema | das könnte sie auch
        interessieren | weitere artikel | lire aussi | à lire aussi | articles similaires |
        sur le même sujet | te puede interesar | noticias relacionadas | lee también | más
        noticias | artigos relacionados | leia também | veja também | mais lidas | notícias
        relacionadas | leggi anche | articoli correlati | lees ook | gerelateerde artikelen |
        baca juga | artikel terkait | berita terkait | pos terkait | читайте также | похожие
        статьи | самые популярные | популярное | другие новости |
        関連記事 | 人気記事 | おすすめ記事 | 相关文章 | 推荐阅读
        """
    ),
    Removed.UI_CHROME: _split(
        """
        advertisement | advertising | ad | ads | sponsored | sponsored content | log in |
        login | sign in | sign out | log out | register | my account | account | cart | menu |
        search | skip to content | skip to main content | close | back to top | next |
        previous | load more | show more | continue reading | loading | accept | ok | cancel |
        submit | save | view all | report | tags |
        anzeige | werbung | publicité | publicidad | publicidade | pubblicità |
        advertentie | iklan | реклама | 広告 | スポンサードリンク | スポンサーリンク
        """
    ),
    Removed.LEGAL: _split(
        """
        all rights reserved | terms of use | terms of service | terms and conditions | terms
        conditions | privacy policy | privacy | privacy notice | disclaimer | imprint |
        impressum | mentions légales | aviso legal | política de privacidade | todos os
        direitos reservados | tous droits réservés | alle rechte vorbehalten | все права
        защищены
        """
    ),
}
"""Reason code -> short chrome phrases (normalised: lower case, no digits/punctuation)."""

SECTION_WORDS: frozenset[str] = frozenset(
    _split(
        """
        also | aussi | baca | don | further | juga | latest | leia | lire | mais | mehr | more
        | most | next | other | plus | popular | read | recommended | related | see | similar
        | top | trending | veja | weitere | you | другие | популярное | похожие | читайте |
        おすすめ | 人気 | 関連
        """
    )
)
"""First words that often open a list of other stories ("More from ...", "Top stories")."""
