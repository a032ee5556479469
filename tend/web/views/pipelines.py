"""Administrator settings: pipelines and their stages (order, category, probability, colour,
stalled days and the guidance shown to reps, in both languages)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import NotFound, TendError
from tend.deals.actions import (
    create_pipeline,
    create_stage,
    delete_pipeline,
    delete_stage,
    update_pipeline,
    update_stage,
)
from tend.deals.selectors import access_pipeline, access_stage, all_pipelines, pipeline_stages
from tend.web.access import signed_in
from tend.web.deal_forms import PipelineForm, StageForm, pipeline_initial, stage_initial
from tend.web.views.common import redirect_with_error


def _require_admin(user) -> None:
    # Settings pages do not exist for anyone else (404, like records one may not see).
    if not user.is_admin:
        raise NotFound()


@signed_in
def pipeline_settings(request):
    """Every pipeline with its stages, and a form to add a pipeline."""
    _require_admin(request.user)
    status = 200
    if request.method == "POST":
        form = PipelineForm(request.POST)
        try:
            pipeline = create_pipeline(actor=request.user, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The pipeline was created. Add its stages now."))
            return redirect("web:pipeline_edit", pk=pipeline.pk)
    else:
        form = PipelineForm(initial={"active": True})
    return render(
        request,
        "web/settings/pipelines.html",
        {"form": form, "pipelines": all_pipelines()},
        status=status,
    )


def _pipeline_page(request, pipeline, *, form=None, stage_form=None, status=200):
    return render(
        request,
        "web/settings/pipeline.html",
        {
            "pipeline": pipeline,
            "form": form or PipelineForm(initial=pipeline_initial(pipeline)),
            "stage_form": stage_form or StageForm(initial={"category": "open", "probability": 0}),
            "stages": pipeline_stages(pipeline),
        },
        status=status,
    )


@signed_in
def pipeline_edit(request, pk):
    _require_admin(request.user)
    pipeline = access_pipeline(pk)
    if request.method != "POST":
        return _pipeline_page(request, pipeline)
    form = PipelineForm(request.POST)
    try:
        update_pipeline(actor=request.user, pipeline=pipeline, data=form.input_data(request.POST))
    except TendError as exc:
        form.show_errors(exc)
        return _pipeline_page(request, pipeline, form=form, status=exc.status)
    messages.success(request, _("The changes were saved."))
    return redirect("web:pipeline_edit", pk=pipeline.pk)


@signed_in
@require_POST
def pipeline_delete(request, pk):
    _require_admin(request.user)
    pipeline = access_pipeline(pk)
    try:
        delete_pipeline(actor=request.user, pipeline=pipeline)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:pipeline_edit", args=[pk]))
    messages.success(request, _("The pipeline “%(name)s” was deleted.") % {"name": pipeline.name})
    return redirect("web:pipeline_settings")


@signed_in
@require_POST
def stage_create(request, pk):
    _require_admin(request.user)
    pipeline = access_pipeline(pk)
    form = StageForm(request.POST)
    try:
        stage = create_stage(
            actor=request.user, pipeline=pipeline, data=form.input_data(request.POST)
        )
    except TendError as exc:
        form.show_errors(exc)
        return _pipeline_page(request, pipeline, stage_form=form, status=exc.status)
    messages.success(request, _("The stage “%(name)s” was added.") % {"name": stage.label})
    return redirect("web:pipeline_edit", pk=pipeline.pk)


@signed_in
def stage_edit(request, pk):
    _require_admin(request.user)
    stage = access_stage(pk)
    status = 200
    if request.method == "POST":
        form = StageForm(request.POST)
        try:
            update_stage(actor=request.user, stage=stage, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("web:pipeline_edit", pk=stage.pipeline_id)
    else:
        form = StageForm(initial=stage_initial(stage))
    return render(request, "web/settings/stage.html", {"stage": stage, "form": form}, status=status)


@signed_in
@require_POST
def stage_delete(request, pk):
    _require_admin(request.user)
    stage = access_stage(pk)
    try:
        delete_stage(actor=request.user, stage=stage)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:stage_edit", args=[pk]))
    messages.success(request, _("The stage “%(name)s” was deleted.") % {"name": stage.label})
    return redirect("web:pipeline_edit", pk=stage.pipeline_id)
