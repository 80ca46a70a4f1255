"""Roles as data: each role's exact `(action, resource)` permissions, synced into FAB by `flask seed`.

The Admin role holds every permission the app registers; the others hold exactly what is listed here.
Resources are FAB view/menu names; actions are FAB permission names (`can_list`, `menu_access`, …).
"""

from __future__ import annotations

from app.domain.enums import RoleName

Permission = tuple[str, str]

# Every logged-in user may see their own profile and change their own password.
_SELF_SERVICE: list[Permission] = [
    ("can_userinfo", "StaffUserView"),
    ("userinfoedit", "StaffUserView"),
    ("resetmypassword", "StaffUserView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_calculate", "WorkdayCalculatorView"),
    ("menu_access", "Working-day calculator"),
    ("menu_access", "Calendar"),
]

_CATALOG_READ: list[Permission] = [
    ("can_list", "CatalogItemView"),
    ("can_show", "CatalogItemView"),
    ("can_export", "CatalogItemView"),
    ("menu_access", "Catalog items"),
    ("menu_access", "Catalog"),
]

_ORGANISATION_READ: list[Permission] = [
    ("can_list", "DepartmentView"),
    ("can_show", "DepartmentView"),
    ("menu_access", "Departments"),
    ("menu_access", "Organisation"),
    # 联络员覆盖: which approval departments of the user's regions name a liaison, and which do not.
    ("can_coverage", "CoverageView"),
    ("menu_access", "Liaison coverage"),
]

_CASE_MENUS: list[Permission] = [("menu_access", "Cases")]

_LEDGER: list[Permission] = [
    ("can_ledger", "CaseView"),
    ("can_ledger", "CaseItemView"),
    ("can_job", "LedgerJobView"),
    ("can_download", "LedgerJobView"),
]

_REPORTS: list[Permission] = [
    ("can_month", "MonthlyReportView"),
    ("can_submit", "MonthlyReportView"),
    ("can_board", "MonthlyReportView"),
    ("can_download", "MonthlyReportView"),
    ("can_rollup", "MonthlyReportView"),
    ("menu_access", "Monthly reports"),
]

_CASE_READ: list[Permission] = [
    *_CASE_MENUS,
    *_LEDGER,
    *_REPORTS,
    ("can_list", "CaseView"),
    ("menu_access", "All cases"),
    ("can_list", "CaseItemView"),
    ("menu_access", "Case items"),
    ("can_case", "CasePageView"),
    ("can_list", "EnterpriseView"),
    ("can_show", "EnterpriseView"),
    ("menu_access", "Enterprises"),
    ("can_list", "ProjectView"),
    ("can_show", "ProjectView"),
    ("menu_access", "Projects"),
]

# 会商联审: conveners (supervisors and agents of the level) record meetings and decisions, agents escalate.
_COORDINATION_CONVENE: list[Permission] = [
    ("menu_access", "Coordination"),
    ("menu_access", "Joint reviews"),
    ("menu_access", "Decisions"),
    ("menu_access", "Escalations"),
    ("can_list", "JointReviewView"),
    ("can_ledger", "JointReviewView"),
    ("can_list", "DecisionView"),
    *(
        (f"can_{name}", "ReviewPageView")
        for name in ("review", "new", "attendance", "minutes", "move", "decide", "decision", "escalations", "print")
    ),
]
# Only agents send a case up (the service checks the role too).
_ESCALATE: list[Permission] = [("can_escalate", "ReviewPageView")]
# Liaisons see and update their own department's decisions.
_COORDINATION_LIAISON: list[Permission] = [
    ("menu_access", "Coordination"),
    ("menu_access", "Decisions"),
    ("can_list", "DecisionView"),
    ("can_review", "ReviewPageView"),
    ("can_decision", "ReviewPageView"),
    ("can_print", "ReviewPageView"),
]
# 培训计划: supervisors and agents keep their level's training plans and attendance.
_TRAINING_MANAGE: list[Permission] = [
    ("can_list", "TrainingPlanView"),
    ("can_show", "TrainingPlanView"),
    ("can_add", "TrainingPlanView"),
    ("can_edit", "TrainingPlanView"),
    ("can_session", "TrainingPlanView"),
    ("can_attendance", "TrainingPlanView"),
    ("can_ledger", "TrainingPlanView"),
    ("menu_access", "Training plans"),
]
# Every member of staff sees their own training hours.
_TRAINING_READ: list[Permission] = [
    ("can_hours", "TrainingHoursView"),
    ("menu_access", "Training hours"),
    ("menu_access", "Training"),
]

# 纵向三级联动: links between a case and its counterpart at the other level, by consent. Agents request, withdraw
# and end links; agents and supervisors of the region asked accept or refuse a request (the service checks that
# the region asked is their own).
_LINKS_MANAGE: list[Permission] = [
    ("can_link", "LinkPageView"),
    ("can_withdraw", "LinkPageView"),
    ("can_end", "LinkPageView"),
    ("can_state", "LinkPageView"),
]
_LINKS_READ: list[Permission] = [
    ("can_list", "CaseLinkView"),
    ("menu_access", "Cross-level links"),
    ("can_requests", "LinkPageView"),
    ("can_accept", "LinkPageView"),
    ("can_refuse", "LinkPageView"),
    ("menu_access", "Link requests"),
]
# 提前介入: leads followed before an application exists.
# Agents and supervisors record leads, keep their checklist, abandon and take them up again; only agents
# convert a lead (by registering its application, CasePageView.new).
_LEADS_MANAGE: list[Permission] = [
    ("can_new", "LeadPageView"),
    ("can_edit", "LeadPageView"),
    ("can_move", "LeadPageView"),
    ("can_task", "LeadPageView"),
]
_LEADS_READ: list[Permission] = [
    ("menu_access", "Cases"),
    ("menu_access", "Leads"),
    ("can_list", "LeadView"),
    ("can_lead", "LeadPageView"),
]
# 典型案例: agents draft and submit write-ups, the city bureau accepts or returns them, everyone reads.
_TYPICAL_WRITE: list[Permission] = [
    ("can_new", "TypicalPageView"),
    ("can_save", "TypicalPageView"),
    ("can_move", "TypicalPageView"),
]
# The steps a supervisor may take (adopt, return) are the city level's only: the service checks the level.
_TYPICAL_DECIDE: list[Permission] = [("can_move", "TypicalPageView")]
_TYPICAL_READ: list[Permission] = [
    ("menu_access", "Typical cases"),
    ("menu_access", "Typical case library"),
    ("menu_access", "Write-ups in progress"),
    ("can_list", "TypicalCaseView"),
    ("can_list", "TypicalWorkView"),
    ("can_writeup", "TypicalPageView"),
    ("can_print", "TypicalPageView"),
]

# Dashboards, chart views, the pivot explorer and assessment (filled by the dashboards work).
_DASHBOARD: list[Permission] = [("can_dashboard", "DashboardView")]  # every role: its landing dashboard, to-do count
# 统计分析 (supervisors): chart views over models and the pivot explorer with its Excel download.
_ANALYSIS: list[Permission] = [
    ("menu_access", "Analysis"),
    ("menu_access", "Charts"),
    ("can_charts", "ChartsView"),
    ("menu_access", "Pivot explorer"),
    ("can_pivot", "PivotView"),
    ("can_excel", "PivotView"),
]
# supervisors: performance assessment, the rows behind each figure, and its export (weights: admins only)
_ASSESSMENT_READ: list[Permission] = [
    ("can_scores", "AssessmentView"),
    ("can_rows", "AssessmentView"),
    ("can_export", "AssessmentView"),
    ("menu_access", "Assessment"),
    ("menu_access", "Analysis"),
]

# 申报材料 (#12): agents keep each item's materials checklist on the case; supervisors and liaisons read it.
_MATERIALS_MANAGE: list[Permission] = [
    ("can_move", "MaterialsView"),  # received, missing, 容缺 promised, returned, not needed
    ("can_add", "MaterialsView"),  # a material the case needs beyond the catalog's list
    ("can_return_all", "MaterialsView"),  # 归档返还: every received original returned in one go
]
_MATERIALS_READ: list[Permission] = [("can_checklist", "MaterialsView")]
# 一次性告知书 and the printable forms of Attachments 4–9 (#12), as HTML and PDF.
_PAPER: list[Permission] = [("can_print", "PaperView")]
# 12345 hotline intake (#12): the back-office form that registers a hotline call as an application.
_HOTLINE: list[Permission] = [
    ("can_new", "HotlineView"),
    ("menu_access", "12345 hotline intake"),
]
# The data API (#12): each role's calls on the staff endpoints.
# Every role reads the spec and Swagger UI (/swagger/v1) and the records of its scope; who may take which step is
# the workflow's (agents and liaisons move items; supervisors cancel decisions, liaisons report them carried out).
_API_DOCS: list[Permission] = [("can_get", "OpenApiSpec"), ("can_show", "ApiDocsView")]
_API_SUPERVISOR: list[Permission] = [
    *_API_DOCS,
    ("can_get", "CaseApi"),
    ("can_get", "ItemApi"),
    ("can_get", "DecisionApi"),
    ("can_act", "DecisionApi"),
]
_API_AGENT: list[Permission] = [*_API_SUPERVISOR, ("can_act", "ItemApi")]
_API_LIAISON: list[Permission] = [
    *_API_DOCS,
    ("can_get", "CaseApi"),
    ("can_get", "ItemApi"),
    ("can_act", "ItemApi"),
    ("can_get", "DecisionApi"),
    ("can_act", "DecisionApi"),
]
# The data API's calls without a login: the app channel and the token sign-in (its own rules: app.api.auth).
_API_PUBLIC: frozenset[str] = frozenset(
    {
        "ChannelApi.catalog",
        "ChannelApi.challenge",
        "ChannelApi.apply",
        "ChannelApi.progress",
        "TokenApi.login",
        "TokenApi.refresh",
        "TokenApi.logout",
    }
)

ROLE_PERMISSIONS: dict[RoleName, list[Permission]] = {
    RoleName.SUPERVISOR: [
        *_SELF_SERVICE,
        *_CATALOG_READ,
        *_ORGANISATION_READ,
        ("can_list", "RegionView"),
        ("can_show", "RegionView"),
        ("menu_access", "Regions"),
        ("can_list", "CatalogChangeView"),
        ("can_show", "CatalogChangeView"),
        ("menu_access", "Catalog history"),
        *_CASE_READ,
        # Supervisors may terminate a case and name its agent (the workflow table says which moves).
        ("can_move", "CasePageView"),
        ("can_agent", "CasePageView"),
        *_COORDINATION_CONVENE,
        *_TRAINING_MANAGE,
        *_TRAINING_READ,
        *_LINKS_READ,
        *_LEADS_MANAGE,
        *_LEADS_READ,
        *_TYPICAL_DECIDE,
        *_TYPICAL_READ,
        *_DASHBOARD,
        *_ANALYSIS,
        *_ASSESSMENT_READ,
        *_MATERIALS_READ,
        *_PAPER,
        *_API_SUPERVISOR,
    ],
    RoleName.AGENT: [
        *_SELF_SERVICE,
        *_CATALOG_READ,
        *_ORGANISATION_READ,
        *_CASE_READ,
        ("can_new", "CasePageView"),
        ("can_move", "CasePageView"),
        ("can_items", "CasePageView"),
        ("can_plan", "CasePageView"),
        ("can_agent", "CasePageView"),
        ("can_item", "CasePageView"),
        ("can_cases", "WorkQueueView"),
        ("menu_access", "My cases"),
        ("menu_access", "New application"),
        ("can_edit", "EnterpriseView"),
        ("can_edit", "ProjectView"),
        *_COORDINATION_CONVENE,
        *_ESCALATE,
        *_TRAINING_MANAGE,
        *_TRAINING_READ,
        *_LINKS_MANAGE,
        *_LINKS_READ,
        *_LEADS_MANAGE,
        *_LEADS_READ,
        *_TYPICAL_WRITE,
        *_TYPICAL_READ,
        *_DASHBOARD,
        *_MATERIALS_MANAGE,
        *_MATERIALS_READ,
        *_PAPER,
        *_HOTLINE,
        *_API_AGENT,
    ],
    RoleName.LIAISON: [
        *_SELF_SERVICE,
        *_CASE_MENUS,
        ("can_items", "WorkQueueView"),
        ("menu_access", "My department's items"),
        ("can_list", "CaseItemView"),
        ("menu_access", "Case items"),
        ("can_case", "CasePageView"),
        ("can_item", "CasePageView"),
        ("can_list", "CatalogItemView"),
        ("can_show", "CatalogItemView"),
        ("menu_access", "Catalog items"),
        ("menu_access", "Catalog"),
        *_COORDINATION_LIAISON,
        *_TRAINING_READ,
        *_DASHBOARD,
        *_MATERIALS_READ,
        *_API_LIAISON,
    ],
}

# Roles whose permissions are all the app has; FAB's own admin role.
ALL_PERMISSION_ROLES: tuple[RoleName, ...] = (RoleName.ADMIN,)

# Endpoints open without login: the public catalog, static assets, signing in and out, the language
# switch and the landing page (which itself shows only a sign-in link to a visitor). Every other route
# must be guarded by a FAB permission; the URL-map test fails on a route that is neither.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset(
    {
        "public.catalog_page",
        "public.catalog_json",
        # The online application and the progress lookup (#12): rate-limited, a check question against scripts.
        "channels.apply_index",
        "channels.apply_form",
        "channels.apply_done",
        "channels.progress_page",
        "static",
        "favicon",
        "appbuilder.static",
        "AuthDBView.login",
        "AuthDBView.logout",
        "LocaleView.index",
        "UtilView.back",
        "HomeView.index",
        *_API_PUBLIC,
    }
)
