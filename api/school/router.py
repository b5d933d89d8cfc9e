"""The portal's pages under /school, put together."""

from __future__ import annotations

from litestar import Router

from api.school.certificates import SchoolCertificateController
from api.school.courses import SchoolCourseController
from api.school.jobs import SchoolJobController
from api.school.portal import portal_router
from api.school.uploads import SchoolUploadController
from api.settings import WebSettings


def school_router(settings: WebSettings) -> Router:
    controllers = [SchoolCourseController, SchoolCertificateController, SchoolUploadController, SchoolJobController]
    return portal_router(settings, controllers)
