"""The signed-in user's own settings: profile (name, email), password, and personal API
tokens with scopes (shown once at creation, stored hashed, revocable)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import tokens
from tracker.members import MemberError
from tracker.models import ApiToken
from tracker.models.tokens import user_scopes

NEW_TOKEN_KEY = "new_personal_token"  # noqa: S105 (a session key, not a secret)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in user_scopes()], widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not email:
            raise forms.ValidationError("An email address is needed for invitations, "
                                        "alerts and password resets.")
        taken = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Another account uses this address.")
        return email


@login_required
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("account-settings")
    return render(request, "account/profile.html", {"form": form, "tab": "profile"},
                  status=400 if form.is_bound else 200)


@login_required
def api_tokens(request):
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            token, plaintext = tokens.create_personal(
                request.user, form.cleaned_data["name"], form.cleaned_data["scopes"])
        except MemberError as error:
            form.add_error(None, str(error))
        else:
            request.session[NEW_TOKEN_KEY] = plaintext
            messages.success(request, f"Token “{token.name or token.hint}” created.")
            return redirect("account-api-tokens")
    return render(request, "account/api_tokens.html", {
        "form": form, "tab": "tokens",
        "tokens": request.user.api_tokens.filter(organization__isnull=True),
        "new_token": request.session.pop(NEW_TOKEN_KEY, None),
    }, status=400 if form.is_bound else 200)


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user,
                              organization__isnull=True)
    if not request.POST.get("confirmed"):
        return render(request, "account/confirm.html", {
            "tab": "tokens", "question": f"Revoke the token “{token.name or token.hint}”?",
            "detail": "Scripts using it will be refused at once.", "button": "Revoke token",
            "action": request.path, "cancel": reverse("account-api-tokens"),
        })
    token.delete()
    messages.success(request, f"Token “{token.name or token.hint}” revoked.")
    return redirect("account-api-tokens")
