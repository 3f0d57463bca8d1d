from django.urls import include, path

from eventyay.control.views import auth, events, exports, jobs, organizers, plugins, teams, user

app_name = "control"

ORGANIZER = "organizer/<slug:organizer>/"
EVENT = "event/<slug:organizer>/<slug:event>/"

urlpatterns = [
    path("", organizers.dashboard, name="index"),
    # Accounts
    path("login/", auth.login, name="auth.login"),
    path("login/2fa/", auth.login_second_factor, name="auth.login.2fa"),
    path("logout/", auth.LogoutView.as_view(), name="auth.logout"),
    path("signup/", auth.signup, name="auth.signup"),
    path("password/reset/", auth.password_reset, name="auth.reset"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="auth.reset.confirm",
    ),
    path("invite/<str:token>/", auth.invite_accept, name="auth.invite"),
    path("user/settings/", user.user_settings, name="user.settings"),
    path("user/password/", user.password_change, name="user.password"),
    path("user/2fa/", user.two_factor, name="user.2fa"),
    path("user/2fa/setup/", user.two_factor_setup, name="user.2fa.setup"),
    path("user/2fa/backup-codes/", user.two_factor_backup_codes, name="user.2fa.backup_codes"),
    path("user/2fa/remove/", user.two_factor_remove_view, name="user.2fa.remove"),
    # Organizers
    path("organizers/add/", organizers.organizer_create_view, name="organizers.add"),
    path(ORGANIZER, organizers.organizer_index, name="organizer.index"),
    path(ORGANIZER + "settings/", organizers.organizer_settings, name="organizer.settings"),
    path(ORGANIZER + "log/", organizers.organizer_log, name="organizer.log"),
    path(ORGANIZER + "plugins/", plugins.organizer_plugins, name="organizer.plugins"),
    path(ORGANIZER + "events/add/", events.event_create_view, name="organizer.event.add"),
    path(ORGANIZER + "teams/", teams.team_list, name="organizer.teams"),
    path(ORGANIZER + "teams/add/", teams.team_create, name="organizer.team.add"),
    path(ORGANIZER + "teams/<int:pk>/", teams.team_detail, name="organizer.team"),
    path(ORGANIZER + "teams/<int:pk>/delete/", teams.team_delete_view, name="organizer.team.delete"),
    path(ORGANIZER + "teams/<int:pk>/invite/", teams.team_member_invite, name="organizer.team.invite"),
    path(
        ORGANIZER + "teams/<int:pk>/invites/<int:invite_id>/withdraw/",
        teams.team_invite_withdraw,
        name="organizer.team.invite.withdraw",
    ),
    path(
        ORGANIZER + "teams/<int:pk>/members/<int:user_id>/remove/",
        teams.team_member_remove_view,
        name="organizer.team.member.remove",
    ),
    path(ORGANIZER + "teams/<int:pk>/tokens/", teams.team_token_create, name="organizer.team.token.add"),
    path(
        ORGANIZER + "teams/<int:pk>/tokens/<int:token_id>/revoke/",
        teams.team_token_revoke,
        name="organizer.team.token.revoke",
    ),
    # Events
    path(EVENT, events.event_index, name="event.index"),
    path(EVENT + "settings/", events.event_settings, name="event.settings"),
    path(EVENT + "plugins/", plugins.event_plugins, name="event.plugins"),
    path(EVENT + "plugins/toggle/", plugins.event_plugin_toggle, name="event.plugins.toggle"),
    path(
        EVENT + "plugins/<str:plugin>/settings/", plugins.event_plugin_settings, name="event.plugin.settings"
    ),
    path(EVENT + "clone/", events.event_clone_view, name="event.clone"),
    path(EVENT + "delete/", events.event_delete_view, name="event.delete"),
    path(EVENT + "log/", events.event_log, name="event.log"),
    path(EVENT + "jobs/<uuid:job>/", jobs.event_job, name="event.job"),
    # Export pages, the same views at both levels.
    *[
        path(prefix + tail, view, name=f"{level}.{name}")
        for level, prefix in (("organizer", ORGANIZER), ("event", EVENT))
        for tail, view, name in (
            ("export/", exports.export_index, "export"),
            ("export/jobs/<uuid:job>/", exports.export_job, "export.job"),
            ("export/jobs/<uuid:job>/download/", exports.export_download, "export.download"),
            ("export/schedules/add/<str:identifier>/", exports.schedule_create, "export.schedule.add"),
            ("export/schedules/<int:pk>/", exports.schedule_edit, "export.schedule"),
            ("export/schedules/<int:pk>/delete/", exports.schedule_delete, "export.schedule.delete"),
        )
    ],
    # Pages for API access (OAuth applications, webhooks) live with the API in urls_api.py.
    path("", include("eventyay.control.urls_api")),
]
