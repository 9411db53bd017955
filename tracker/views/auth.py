"""Sign-in and password reset, Django's own views with attempt limits (tracker.throttle):
past 10 tries in 15 minutes from one IP or for one account, the form answers 429 with a
message saying when to try again."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views

from tracker import throttle
from tracker.audit import client_ip


class LoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        ip, account = client_ip(request), request.POST.get("username", "")
        if throttle.blocked("login", ip, account):
            form = self.get_form()
            form.errors.clear()
            return self.render_to_response(
                self.get_context_data(form=form, throttled=throttle.MESSAGE), status=429)
        response = super().post(request, *args, **kwargs)
        if not request.user.is_authenticated:
            throttle.record("login", ip, account)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    extra_email_context = {"public_url": settings.PUBLIC_URL}

    def post(self, request, *args, **kwargs):
        ip, account = client_ip(request), request.POST.get("email", "")
        if throttle.blocked("password-reset", ip, account):
            return self.render_to_response(
                self.get_context_data(form=self.get_form(), throttled=throttle.MESSAGE),
                status=429)
        throttle.record("password-reset", ip, account)
        return super().post(request, *args, **kwargs)
