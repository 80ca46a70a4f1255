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
    ItemPause,
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
)
from app.models.counters import ChannelReference, NumberCounter
from app.models.exports import ExportJob
from app.models.leads import Lead, LeadItem, LeadTask
from app.models.links import CaseLink
from app.models.materials import CaseMaterial, CatalogMaterial
from app.models.org import Department, Region, Staff
from app.models.reports import MonthlyReport
from app.models.security import ServerSession, SignInFailure
from app.models.training import TrainingAttendance, TrainingPlan, TrainingSession
from app.models.typical import TypicalCase, TypicalCaseVersion

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
