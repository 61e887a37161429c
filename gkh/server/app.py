"""The portal's WSGI application: the same app answers in-process and over HTTP."""

from __future__ import annotations

import functools
import json
import secrets

import falcon

from gkh import i18n, protocol
from gkh.domain.errors import InvalidInput, Refused
from gkh.server.db import Busy, PortalStore
from gkh.server.http import (
    bearer_token,
    check_header_sizes,
    check_text_params,
    handle_busy,
    handle_invalid_input,
    handle_refused,
    handle_unexpected,
    request_now,
    serialize_error,
)
from gkh.server.proxies import TrustedProxies
from gkh.server.receipts import Postman
from gkh.server.routes import (
    accounts,
    acquirer,
    addresses,
    admin,
    appeals,
    batches,
    bills,
    meetings,
    meters,
    outages,
    owners,
    payments,
    periods,
    session,
    uploads,
)
from gkh.server.services.session import authenticate, require_own_password

API = protocol.API_PREFIX


class RequestContext:
    """Gives each request an id, its language (Accept-Language) and its one reading of the clock, and signs the
    caller in."""

    def __init__(self, store: PortalStore, proxies: TrustedProxies):
        self.store = store
        self.proxies = proxies

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.request_id = secrets.token_hex(8)
        # Who calls, and at which scheme and host: behind a trusted proxy, as it says (gkh.server.proxies).
        peer = req.remote_addr or ""
        req.context.client = self.proxies.client(peer, req.get_header("X-Forwarded-For"))
        req.context.prefix = req.forwarded_prefix if self.proxies.trusts(peer) else req.prefix
        language = i18n.language_from_header(req.get_header("Accept-Language"))
        req.context.language = i18n.use(language)  # messages for people in it; codes and fields never change
        resp.set_header("Content-Language", language)
        resp.append_header("Vary", "Accept-Language")
        check_header_sizes(req)
        req.context.now = request_now()

    def process_resource(self, req, resp, resource, params) -> None:
        if resource is None:
            return
        check_text_params(req, params)
        if getattr(resource, "public", False):
            return
        if not hasattr(resource, f"on_{req.method.lower()}"):
            return  # let Falcon answer 405 rather than ask an anonymous caller to sign in
        req.context.user = authenticate(self.store, bearer_token(req), req.context.now)
        if not getattr(resource, "before_own_password", False):
            require_own_password(req.context.user)  # a one-time password only lets its user set their own

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        if request_id := req.context.get("request_id"):
            resp.set_header(protocol.REQUEST_ID, request_id)
        if (language := req.context.get("language")) is not None:
            i18n.reset(language)  # the thread's next request starts from the default again


def create_app(store: PortalStore, postman: Postman | None = None,
               proxies: TrustedProxies = TrustedProxies()) -> falcon.App:
    """The portal's app on `store`; `postman` delivers the receipts its payments record (the payment and acquirer
    routes are given it; None: kept in the database only, no SMTP, no outbox folder); `proxies` the reverse proxies
    whose X-Forwarded-* headers it believes (none by default)."""
    postman = postman if postman is not None else Postman(None, None)
    app = falcon.App(middleware=[RequestContext(store, proxies)])
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=functools.partial(json.dumps, ensure_ascii=False)
    )
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(InvalidInput, handle_invalid_input)
    app.add_error_handler(Refused, handle_refused)
    app.add_error_handler(Busy, handle_busy)

    app.add_route(f"{API}/portal", session.PortalInfo(store))
    app.add_route(f"{API}/auth/token", session.Token(store))
    app.add_route(f"{API}/me", session.Me(store))
    app.add_route(f"{API}/auth/password", session.Password(store))
    app.add_route(f"{API}/admin/settings", admin.SettingList(store))
    app.add_route(f"{API}/admin/settings/{{key}}", admin.SettingItem(store))
    app.add_route(f"{API}/admin/organisations", admin.OrganisationList(store))
    app.add_route(f"{API}/admin/users", admin.UserList(store))
    app.add_route(f"{API}/admin/users/{{login}}/disable", admin.UserDisable(store))
    app.add_route(f"{API}/admin/users/{{login}}/enable", admin.UserEnable(store))
    app.add_route(f"{API}/admin/users/{{login}}/password", admin.UserPassword(store))
    app.add_route(f"{API}/admin/houses/batch", batches.HouseBatch(store))
    app.add_route(f"{API}/periods/close", periods.PeriodClose(store))
    app.add_route(f"{API}/periods", periods.PeriodList(store))
    app.add_route(f"{API}/owners/batch", owners.OwnerBatch(store))
    app.add_route(f"{API}/owners", owners.OwnerList(store))
    app.add_route(f"{API}/addresses", addresses.AddressSearch(store))
    app.add_route(f"{API}/houses/{{guid}}", addresses.HousePassport(store))
    app.add_route(f"{API}/accounts", accounts.AccountList(store))
    app.add_route(f"{API}/accounts/links", accounts.AccountLinks(store))
    app.add_route(f"{API}/accounts/links/{{els}}", accounts.AccountLink(store))
    app.add_route(f"{API}/accounts/batch", batches.AccountBatch(store))
    app.add_route(f"{API}/accounts/{{els}}", accounts.AccountItem(store))
    app.add_route(f"{API}/meters", meters.MeterList(store))
    app.add_route(f"{API}/meters/{{meter}}", meters.MeterItem(store))
    app.add_route(f"{API}/meters/{{meter}}/readings", meters.MeterReadings(store))
    app.add_route(f"{API}/readings/batch", batches.ReadingBatch(store))
    app.add_route(f"{API}/bills", bills.BillList(store))
    app.add_route(f"{API}/bills/batch", bills.BillBatch(store))
    app.add_route(f"{API}/bills/{{id}}", bills.BillItem(store))
    app.add_route(f"{API}/payments", payments.PaymentList(store, postman))
    app.add_route(f"{API}/payments/{{id}}", payments.PaymentItem(store))
    app.add_route(f"{API}/payments/{{id}}/receipt", payments.PaymentReceipt(store))
    app.add_route(f"{API}/wallet", payments.Wallet(store))
    app.add_route(f"{API}/wallet/top-ups", payments.WalletTopUps(store, postman))
    app.add_route(f"{API}/uploads", uploads.Uploads(store))
    app.add_route(f"{API}/meetings", meetings.MeetingList(store))
    app.add_route(f"{API}/meetings/{{id}}", meetings.MeetingItem(store))
    app.add_route(f"{API}/meetings/{{id}}/notice", meetings.MeetingNotice(store))
    app.add_route(f"{API}/meetings/{{id}}/review", meetings.MeetingReview(store))
    app.add_route(f"{API}/meetings/{{id}}/votes", meetings.MeetingVotes(store))
    app.add_route(f"{API}/meetings/{{id}}/results", meetings.MeetingResults(store))
    app.add_route(f"{API}/appeal-topics", appeals.AppealTopics(store))
    app.add_route(f"{API}/addressees", appeals.Addressees(store))
    app.add_route(f"{API}/appeals", appeals.AppealList(store))
    app.add_route(f"{API}/appeals/{{id}}", appeals.AppealItem(store))
    app.add_route(f"{API}/appeals/{{id}}/files/{{file}}", appeals.AppealFile(store))
    app.add_route(f"{API}/appeals/{{id}}/withdraw", appeals.AppealWithdraw(store))
    app.add_route(f"{API}/appeals/{{id}}/take", appeals.AppealTake(store))
    app.add_route(f"{API}/appeals/{{id}}/answer", appeals.AppealAnswer(store))
    app.add_route(f"{API}/outages", outages.OutageList(store))
    app.add_route(f"{API}/outages/{{id}}", outages.OutageItem(store))
    app.add_route(f"{API}/outages/{{id}}/cancel", outages.OutageCancel(store))
    app.add_route("/acquirer/{token}", acquirer.Acquirer(store, postman))
    return app
