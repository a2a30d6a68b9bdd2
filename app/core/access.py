"""The access table: which roles may reach which route (security.md B1).

Every route is looked up here by its name before it runs; a route missing from the table is
refused for everyone (deny by default), and tests/security/test_authz_matrix.py walks every route
for every role against this table. Object-level rules (whose comment, which proposal) live in each
domain's permissions.py and are checked by the services.
"""

from __future__ import annotations

from app.core.roles import Role

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = frozenset(Role)
CX = frozenset({Role.cx, Role.admin})
LEADERS = frozenset({Role.leader, Role.admin})
ADMINS = frozenset({Role.admin})
EXPORTERS = CX | LEADERS  # take data out of the portal (exports are audited)
# The role groups the domains' object rules are written in, defined once here with the routes.
PUBLISHERS = CX  # publish, edit and archive insights; import feedback
DECIDERS = LEADERS  # decide on proposals
PULSE_OPENERS = LEADERS  # open pulse rounds and read their results


def owns_or_admin(person: object, owner_id: int | None) -> bool:
    """The one rule for "your own thing": its owner, or an admin (comments, tokens, sessions,
    uploads). `person` is a signed-in Person (typed loosely: core knows no domain)."""
    return owner_id is not None and (
        getattr(person, "id", None) == owner_id or getattr(person, "role", None) == Role.admin
    )


Rule = str | frozenset[Role]

# GET routes that write one audit row (exports): their session begins as a write (BEGIN IMMEDIATE
# on SQLite), since a read transaction that later writes fails at once when another writer holds
# the lock ("database is locked", seen under the API fuzz test).
AUDITED_READS = frozenset(
    {
        "dashboard:csv",
        "pulse:results_csv",
        "exports:insights",
        "exports:proposals",
        "api:exports_insights",
        "api:exports_proposals",
    }
)

ROUTE_ACCESS: dict[str, Rule] = {
    # platform
    "health:healthz": PUBLIC,
    "health:readyz": PUBLIC,
    "auth:login_form": PUBLIC,
    "auth:login": PUBLIC,
    "auth:oidc_callback": PUBLIC,  # the company's provider sends the browser back here
    "auth:logout": SIGNED_IN,
    "home:index": SIGNED_IN,
    "openapi:schema": SIGNED_IN,
    # people and their own settings
    "me:profile": SIGNED_IN,
    "me:create_token": SIGNED_IN,
    "me:revoke_token": SIGNED_IN,
    "me:change_password": SIGNED_IN,
    "me:end_sessions": SIGNED_IN,
    "me:digest": SIGNED_IN,
    "notifications:unsubscribe_form": PUBLIC,
    "notifications:unsubscribe": PUBLIC,
    "api:me_update": SIGNED_IN,
    "admin:people": ADMINS,
    "admin:people_import_form": ADMINS,
    "admin:people_move": ADMINS,
    "admin:integrations": ADMINS,
    "admin:integration_create": ADMINS,
    "admin:integration_delete": ADMINS,
    "admin:integration_rotate": ADMINS,
    "admin:integration_enable": ADMINS,
    "admin:integration": ADMINS,
    "admin:integration_resend": ADMINS,
    "admin:people_import": ADMINS,
    "admin:person_new_form": ADMINS,
    "admin:person_create": ADMINS,
    "admin:person_edit_form": ADMINS,
    "admin:person_update": ADMINS,
    "admin:person_password": ADMINS,
    "admin:teams": ADMINS,
    "admin:department_create": ADMINS,
    "admin:team_create": ADMINS,
    "admin:team_update": ADMINS,
    "admin:team_lead": ADMINS,
    "admin:audit": ADMINS,
    # insights
    "insights:kind_styles": PUBLIC,  # the kinds' colours: a style sheet, on the sign-in page too
    "insights:list": SIGNED_IN,
    "insights:detail": SIGNED_IN,
    "insights:new_form": CX,
    "api:imports_feedback": CX,
    "api:imports_people": ADMINS,
    "imports:list": CX,
    "imports:upload": CX,
    "imports:detail": CX,
    "imports:progress": CX,
    "imports:start": CX,
    "exports:insights": EXPORTERS,
    "exports:proposals": EXPORTERS,
    "api:exports_insights": EXPORTERS,
    "api:exports_proposals": EXPORTERS,
    "insights:create": CX,
    "insights:edit_form": CX,
    "insights:update": CX,
    "insights:archive": CX,
    "insights:restore": CX,
    "insights:stages": CX,
    "insights:stage_add": CX,
    "insights:stage_import": CX,
    "insights:stage_update": CX,
    "insights:stage_move": CX,
    "insights:stage_remove": CX,
    "insights:attach": CX,
    "insights:pick": CX,
    "tags:suggest": SIGNED_IN,
    "attachments:download": SIGNED_IN,
    "attachments:remove": CX,
    # proposals (everyone signed in may propose and support)
    "proposals:list": SIGNED_IN,
    "proposals:new_form": SIGNED_IN,
    "proposals:create": SIGNED_IN,
    "proposals:similar": SIGNED_IN,
    "proposals:pick_insights": SIGNED_IN,
    "proposals:detail": SIGNED_IN,
    "proposals:support": SIGNED_IN,
    "proposals:unsupport": SIGNED_IN,
    "proposals:follow": SIGNED_IN,
    "proposals:unfollow": SIGNED_IN,
    # leadership
    "review:queue": LEADERS,
    "dashboard:index": SIGNED_IN,  # the summary for everyone; the route shows leaders the full picture
    "dashboard:csv": LEADERS,
    "review:workload": LEADERS,
    "proposals:decide": LEADERS,
    "api:proposal_decision": LEADERS,
    # comments and notifications (object rules in the services: own comments only)
    "comments:create": SIGNED_IN,
    "comments:edit_form": SIGNED_IN,
    "comments:update": SIGNED_IN,
    "comments:delete": SIGNED_IN,
    "people:mentions": SIGNED_IN,
    "follows:create": SIGNED_IN,
    "follows:delete": SIGNED_IN,
    "notifications:list": SIGNED_IN,
    "notifications:badge": SIGNED_IN,
    "notifications:read": SIGNED_IN,
    "notifications:read_all": SIGNED_IN,
    # team pulse (answers are anonymous: the services never log or audit them)
    # themes: CX staff and leaders read them; making a pain point is for publishers (the service checks)
    "themes:list": EXPORTERS,
    "themes:detail": EXPORTERS,
    "themes:suggest": SIGNED_IN,  # the pain point form's hints: empty for whoever may not read themes
    "api:themes": EXPORTERS,
    "api:theme": EXPORTERS,
    "api:theme_pain_point": PUBLISHERS,
    "pulse:index": SIGNED_IN,
    "pulse:round": SIGNED_IN,
    "pulse:answer": SIGNED_IN,
    "pulse:new_form": LEADERS,
    "pulse:create": LEADERS,
    "pulse:close": LEADERS,
    # Released results: leaders read every group, anyone else their own (pulse/service.py results).
    "pulse:results": SIGNED_IN,
    "pulse:results_csv": LEADERS,
    "pulse:schedule_form": LEADERS,
    "pulse:schedule_create": LEADERS,
    "pulse:schedule_stop": LEADERS,
    "pulse:plan": SIGNED_IN,
    # A team's page and its actions: its members, lead and leaders (pulse/actions.py says who).
    "pulse:team": SIGNED_IN,
    "pulse:action_create": SIGNED_IN,
    "pulse:action_done": SIGNED_IN,
    "pulse:action_reopen": SIGNED_IN,
    "pulse:action_proposal": SIGNED_IN,
    "api:pulse_create": LEADERS,
    "api:pulse_round": SIGNED_IN,
    "api:pulse_rounds": SIGNED_IN,
    "api:pulse_close": LEADERS,
    "api:pulse_answer": SIGNED_IN,
    "api:pulse_results": SIGNED_IN,
    "api:pulse_schedule_create": LEADERS,
    "api:pulse_schedules": LEADERS,
    "api:pulse_schedule_stop": LEADERS,
    "api:pulse_action_create": SIGNED_IN,
    "api:pulse_actions": SIGNED_IN,
    "api:pulse_action_done": SIGNED_IN,
    # search
    "search:page": SIGNED_IN,
    "search:suggest": SIGNED_IN,
    # JSON API (the services apply the same object rules as the pages)
    "api:me": SIGNED_IN,
    "api:teams_update": ADMINS,
    "api:webhooks_create": ADMINS,
    "api:webhooks_list": ADMINS,
    "api:webhooks_delete": ADMINS,
    "api:webhooks_deliveries": ADMINS,
    "api:webhooks_rotate": ADMINS,
    "api:webhooks_resend": ADMINS,
    "api:insights_list": SIGNED_IN,
    "api:insights_create": CX,
    "api:insight_get": SIGNED_IN,
    "api:insight_update": CX,
    "api:insight_archive": CX,
    "api:insight_attach": CX,
    "api:search": SIGNED_IN,
    "api:proposals_create": SIGNED_IN,
    "api:proposals_list": SIGNED_IN,
    "api:proposal_get": SIGNED_IN,
    "api:proposal_support": SIGNED_IN,
    "api:proposal_unsupport": SIGNED_IN,
    "api:insight_comments": SIGNED_IN,
    "api:insight_comment_create": SIGNED_IN,
    "api:proposal_comments": SIGNED_IN,
    "api:proposal_comment_create": SIGNED_IN,
    "api:me_notifications": SIGNED_IN,
}


def rule_for(route_name: str | None) -> Rule | None:
    return ROUTE_ACCESS.get(route_name or "")


def allows(rule: Rule | None, role: Role | None) -> bool:
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    return role is not None and role in rule
