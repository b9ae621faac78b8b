"""The minute pool page: the balance for everyone, its terms and alerts for admins."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clicktodial_portal.lists import typed_list
from members.models import MinutePool, PoolAlert
from members.pool import services


class PoolForm(forms.ModelForm):
    alert_thresholds = forms.CharField(
        label=gettext_lazy("Alert thresholds"),
        help_text=gettext_lazy("Percentages, separated by commas, e.g. 80, 95, 100."),
        required=False,
    )

    class Meta:
        model = MinutePool
        fields = ["minutes_allotted", "billing_rule", "when_exhausted"]
        # The model's fields have no verbose names of their own: these are their labels.
        labels = {
            "minutes_allotted": gettext_lazy("Minutes allotted"),
            "billing_rule": gettext_lazy("Billing rule"),
            "when_exhausted": gettext_lazy("When exhausted"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["alert_thresholds"] = ", ".join(map(str, self.instance.alert_thresholds))

    def clean_alert_thresholds(self) -> list[int]:
        raw = self.cleaned_data["alert_thresholds"]
        try:
            # "80%" as well as "80": the sign is what the field asks for anyway.
            thresholds = sorted(
                {int(part.rstrip("%\N{FULLWIDTH PERCENT SIGN}")) for part in typed_list(raw)}
            )
        except ValueError as exc:
            raise forms.ValidationError(_("Use whole percentages, e.g. 80, 95, 100.")) from exc
        if any(not 0 < t <= 1000 for t in thresholds):
            raise forms.ValidationError(_("Each threshold is a percentage above 0."))
        return thresholds


@login_required
def pool_detail(request: HttpRequest) -> HttpResponse:
    pool = services.pool_current()
    return render(
        request,
        "pool/pool_detail.html",
        {
            "pool": pool,
            "form": PoolForm(instance=pool) if request.user.is_staff else None,
            "alerts": PoolAlert.objects.filter(pool=pool).order_by("threshold"),
        },
    )


@login_required
@require_POST
def pool_update(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied
    pool = services.pool_current()
    form = PoolForm(request.POST, instance=MinutePool.objects.get(pk=pool.pk))
    if not form.is_valid():
        alerts = PoolAlert.objects.filter(pool=pool).order_by("threshold")
        context = {"pool": pool, "form": form, "alerts": alerts}
        return render(request, "pool/pool_detail.html", context, status=400)
    allotted = form.cleaned_data["minutes_allotted"]
    if allotted < pool.minutes_used and request.POST.get("confirm_below_used") != str(allotted):
        # Calls would be refused (or flagged) at once: say so, and save only once this very
        # figure is confirmed (another one below what is used asks again).
        alerts = PoolAlert.objects.filter(pool=pool).order_by("threshold")
        refuses = form.cleaned_data["when_exhausted"] == MinutePool.WhenExhausted.REFUSE
        context = {
            "pool": pool,
            "form": form,
            "alerts": alerts,
            "below_used": allotted,
            "exhausted_refuses": refuses,
        }
        return render(request, "pool/pool_detail.html", context)
    services.pool_update(actor=request.user, pool=pool, **form.cleaned_data)
    messages.success(request, _("The pool's terms were saved."))
    return redirect("pool")
