"""Pages set aside: a page that only searches a refused batch's elements gives its slot to the next page."""

from __future__ import annotations

import asyncio

import pytest

from stkkr_tasks.run.pipeline import PAGES_ASIDE, PAGES_IN_MEMORY, _Aside


@pytest.mark.anyio
async def test_a_page_set_aside_frees_its_slot_up_to_the_bound_and_its_place_when_written() -> None:
    slots = asyncio.Semaphore(PAGES_IN_MEMORY)
    aside = _Aside(slots)
    pages = []
    for _ in range(PAGES_ASIDE + 1):
        await slots.acquire()  # as the pipeline does before reading a page
        page = aside.page()
        page.set_aside()
        pages.append(page)
    # the first PAGES_ASIDE pages gave their slots back; the next one keeps its slot to the end
    assert aside.pages == PAGES_ASIDE
    assert not slots.locked()
    await slots.acquire()
    assert slots.locked()  # PAGES_IN_MEMORY pages hold a slot now: the third page's and this one

    pages[0].set_aside()  # a second call changes nothing
    pages[0].done()
    assert aside.pages == PAGES_ASIDE - 1 and slots.locked()  # its slot was given back already
    pages[-1].done()
    assert not slots.locked()
    pages[1].done()
    assert aside.pages == 0
