"""The edges of the privacy slice: the supervisors' page and the JSON API, as one router
for the composition."""

from __future__ import annotations

from fastapi import APIRouter

from auskunft.privacy.web import api, pages

router = APIRouter()
router.include_router(pages.router)
router.include_router(api.router)
