"""The signed-in user's settings (Sentry's /settings/account/...) and the password flows."""

from django.contrib.auth import views as auth_views
from django.urls import path

from tracker.views import account, auth

urlpatterns = [
    path("settings/account/", account.profile, name="account-settings"),
    path("settings/account/api/auth-tokens/", account.api_tokens, name="account-api-tokens"),
    path("settings/account/api/auth-tokens/<int:token_id>/revoke/", account.api_token_revoke,
         name="account-api-token-revoke"),
    path("settings/account/password/", auth_views.PasswordChangeView.as_view(
        extra_context={"tab": "password"}), name="password_change"),
    path("settings/account/password/done/", auth_views.PasswordChangeDoneView.as_view(
        extra_context={"tab": "password"}), name="password_change_done"),
    path("account/password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("account/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("account/password-reset/<uidb64>/<token>/",
         auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("account/password-reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
