"""The knowledge base, kept on the server by shift leads and admins (agents get 403): articles
(save a version, publish, withdraw, import a batch) and quick phrases (save, delete). Terminals
get what is published through `POST /v1/pull` (`kb_articles`, `kb_phrases`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from sync.protocol import (
    ID_PATTERN,
    MAX_OFFSET,
    KbArticleIn,
    KbArticleState,
    KbImportRequest,
    KbImportResponse,
    KbPhraseIn,
    KbPhraseWire,
)

from .. import kb
from ..deps import DB, Lead
from ..errors import ApiError, error_responses
from ..jsonbody import WireRoute

router = APIRouter(prefix="/v1/kb", tags=["knowledge base"], route_class=WireRoute,
                   responses=error_responses(401, 403, 422, 429, 503))

ArticleId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
Lang = Annotated[str, Path(max_length=2, pattern=r"^(zh|en)$")]
Code = Annotated[str, Path(max_length=7, pattern=r"^;?[a-z0-9]{1,6}$",
                           description="the short code, with or without its `;` (gr or ;gr)")]

# Endpoint function names are the OpenAPI operation ids: keep them.


@router.get("/articles", response_model=list[KbArticleState],
            summary="Articles on the server: version, published version, withdrawn")
def list_kb_articles(user: Lead, db: DB, limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[KbArticleState]:
    return kb.list_articles(db, limit=limit, offset=offset)


@router.get("/articles/{article_id}", summary="One article as the server holds it",
            responses=error_responses(404))
def get_kb_article(article_id: ArticleId, user: Lead, db: DB) -> dict[str, Any]:
    found = kb.get_article(db, article_id)
    if found is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return found


@router.put("/articles/{article_id}", response_model=KbArticleState,
            summary="Save an article: a new version only when its content changed; "
                    "`publish: true` publishes it too", responses=error_responses(413))
def put_kb_article(article_id: ArticleId, body: KbArticleIn, user: Lead,
                   db: DB) -> KbArticleState:
    return kb.put_article(db, user, article_id, body)


@router.post("/articles/{article_id}/publish", response_model=KbArticleState,
             summary="Publish the latest version (terminals get it at their next pull)",
             responses=error_responses(404))
def publish_kb_article(article_id: ArticleId, user: Lead, db: DB) -> KbArticleState:
    return kb.publish(db, user, article_id)


@router.post("/articles/{article_id}/withdraw", response_model=KbArticleState,
             summary="Withdraw an article: gone from terminals after their next pull",
             responses=error_responses(404))
def withdraw_kb_article(article_id: ArticleId, user: Lead, db: DB) -> KbArticleState:
    return kb.withdraw(db, user, article_id)


@router.post("/import", response_model=KbImportResponse,
             summary="Save (and by default publish) up to 500 articles; a bad one is "
                     "answered `rejected` naming the field, the rest are saved",
             responses=error_responses(413))
def import_kb_articles(body: KbImportRequest, user: Lead, db: DB) -> KbImportResponse:
    return kb.import_articles(db, user, body)


@router.get("/phrases", response_model=list[KbPhraseWire], summary="Every quick phrase")
def list_kb_phrases(user: Lead, db: DB) -> list[KbPhraseWire]:
    return kb.list_phrases(db)


@router.put("/phrases/{lang}/{code}", response_model=KbPhraseWire,
            summary="Save a quick phrase (the next version when it changed)",
            responses=error_responses(413))
def put_kb_phrase(lang: Lang, code: Code, body: KbPhraseIn, user: Lead, db: DB) -> KbPhraseWire:
    return kb.put_phrase(db, user, lang, code, body)


@router.delete("/phrases/{lang}/{code}", response_model=KbPhraseWire,
               summary="Delete a quick phrase (withdrawn: terminals drop it at their next pull)",
               responses=error_responses(404))
def delete_kb_phrase(lang: Lang, code: Code, user: Lead, db: DB) -> KbPhraseWire:
    return kb.delete_phrase(db, user, lang, code)
