"""SQLAlchemy models; importing this package registers every table on FAB's `Model.metadata`."""

from flask_appbuilder import Model

from app.models.assessment import AssessmentWeights
from app.models.calendar import CalendarDay, CalendarYear
from app.models.cases import (
    Case,
    CaseEvent,
    CaseItem,
    Enterprise,
    Evaluation,
    ExportJob,
    ItemPause,
    MonthlyReport,
    Project,
    StepLimit,
)
from app.models.catalog import CatalogChange, CatalogItem
from app.models.coordination import (
    Decision,
    Escalation,
    JointReview,
    ReviewParticipant,
    ReviewSubject,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)
from app.models.counters import ChannelReference, NumberCounter
from app.models.followup import CaseLink, Lead, LeadItem, LeadTask, TypicalCase, TypicalCaseVersion
from app.models.materials import CaseMaterial, CatalogMaterial
from app.models.org import Department, Region, Staff
from app.models.security import ServerSession, SignInFailure

__all__ = [
    "AssessmentWeights",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseEvent",
    "CaseItem",
    "CaseLink",
    "CaseMaterial",
    "CatalogChange",
    "CatalogItem",
    "CatalogMaterial",
    "ChannelReference",
    "Decision",
    "Department",
    "Enterprise",
    "Escalation",
    "Evaluation",
    "ExportJob",
    "ItemPause",
    "JointReview",
    "Lead",
    "LeadItem",
    "LeadTask",
    "Model",
    "MonthlyReport",
    "NumberCounter",
    "Project",
    "Region",
    "ReviewParticipant",
    "ReviewSubject",
    "ServerSession",
    "SignInFailure",
    "Staff",
    "StepLimit",
    "TrainingAttendance",
    "TrainingPlan",
    "TrainingSession",
    "TypicalCase",
    "TypicalCaseVersion",
]
