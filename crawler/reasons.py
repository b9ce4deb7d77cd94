"""Reason codes: why a line was removed from a document, or why an input produced no record.

They are plain strings in the dataset (audit `reason`, rejects `reason`), so consumers can
group by them; this module is the one list of them. docs/audit.md explains each.
"""

from enum import StrEnum


class Removed(StrEnum):
    """Why a line of an input is not in the record's text (the `audit` table)."""

    TITLE = "title"  # the headline (kept in the `title` column instead)
    BYLINE = "byline"  # author / outlet / date line ("By Jane Doe", "The Diplomat a day ago")
    DATELINE = "dateline"  # a line that is only a date or a relative time
    ATTRIBUTION = "attribution"  # "This article was published by X" footers (-> publisher)
    REPOST_NOTICE = "repost_notice"  # "originally published on ...", "Source: ..."
    READ_TIME = "read_time"  # "4 minutes, 45 seconds Read", "5 min read"
    CAPTION = "caption"  # image captions and credits (kept in `captions` when doubled)
    DUPLICATE_LINE = "duplicate_line"  # a line repeated within the same document
    RELATED_BLOCK = "related_block"  # related / more / trending stories and all they drag in
    COMMENTS = "comments"  # comment widgets and reader comments
    APP_PROMO = "app_promo"  # "Download the App", app-store badges
    NEWSLETTER = "newsletter"  # sign-up / subscribe boxes
    COOKIE_NOTICE = "cookie_notice"  # consent banners, privacy notices
    SHARE = "share"  # share bars, social links
    NAVIGATION = "navigation"  # menus, breadcrumbs, link lists, site index
    UI_CHROME = "ui_chrome"  # other interface text: buttons, cart, log in, ads labels
    LEGAL = "legal"  # copyright and terms footers
    RECURRING = "recurring"  # recurs across many documents of one ingest (site chrome)
    SITE_RECURRING = "site_recurring"  # a paragraph kept on several pages of one site (history too)
    LOW_CONTENT = "low_content"  # short or non-prose line outside the article's main run
    OUTSIDE_ARTICLE = "outside_article"  # prose, but outside the article's main run
    CONTROL_CHARS = "control_chars"  # NUL and other control characters taken out of a line


class Rejected(StrEnum):
    """Why an input produced no record (the `rejects` table)."""

    EMPTY = "empty"  # zero bytes or only white space
    BINARY = "binary"  # not text (NUL bytes, undecodable, a known binary signature)
    UNDECODABLE = "undecodable"  # text in no encoding we could decode
    TOO_LARGE = "too_large"  # over the size limit in bytes (on disk, or once decompressed)
    TOO_MANY_LINES = "too_many_lines"  # more lines than the per-document limit
    LINE_TOO_LONG = "line_too_long"  # a line longer than the per-document limit
    TOO_MANY_ELEMENTS = "too_many_elements"  # HTML with more elements than the limit
    TOO_DEEP = "too_deep"  # HTML nested deeper than the limit
    TOO_MANY_ATTRIBUTES = "too_many_attributes"  # an HTML tag with more attributes than the limit
    TIMEOUT = "timeout"  # cleaning took longer than the per-document time limit
    ONLY_BOILERPLATE = "only_boilerplate"  # nothing left after cleaning
    TOO_SHORT = "too_short"  # less text left than the minimum, and no article evidence for it
    SOFT_404 = "soft_404"  # an error page ("page not found") served as a page
    LANGUAGE = "language"  # not in `[filters] languages` (or no language detected)
    UNSUPPORTED = "unsupported"  # a file type no reader handles
    SYMLINK = "symlink"  # a symbolic link out of the input folder, not followed
    READ_ERROR = "read_error"  # the file could not be read (permissions, vanished)
    EXTRACT_ERROR = "extract_error"  # the extractor failed on this input
    CRASHED = "crashed"  # the cleaning process died on this input (out of memory, a C crash)
    # web-archive records that are not pages to clean (counted, not errors):
    NOT_HTML = "not_html"  # an archived response that is not HTML (PDF, image, JSON...)
    REVISIT = "revisit"  # a WARC revisit record: a pointer to an earlier capture, no page
    TRUNCATED = "truncated"  # an archived record cut short (a truncated file or gzip member)
